const QUERY = `DELETE FROM runs WHERE id = ?1`;
export const query = QUERY;
