import { ApiError } from "../api/errors";

export const notFound = () => new ApiError();
