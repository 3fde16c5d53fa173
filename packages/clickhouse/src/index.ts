export { type ClickHouse, type ClickHouseOptions, createClickHouse } from './client.js';
export { ClickHouseError, type ClickHouseErrorKind, toClickHouseError } from './errors.js';
export { exactFloat } from './float.js';
export {
  date,
  dateTime,
  ident,
  inList,
  isIdentifier,
  join,
  quoteString,
  raw,
  Sql,
  type SqlValue,
  SqlValueError,
  sql,
  uuid,
} from './sql.js';
