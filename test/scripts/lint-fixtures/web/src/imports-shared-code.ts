// Allowed: the web app loads values from shared/, never from worker/.
import { TOKEN_WORD } from "../../shared/token-words";

export const word = TOKEN_WORD;
