/**
 * The working columns a write adds to its batch and planning tables in DuckDB, declared once. They
 * exist only in a write's scratch relations and never reach a base file (the writer selects Hudi's
 * meta columns and the table's columns by name). The `__tm_` prefix keeps them clear of user
 * columns; SQL builders use them by name (`${WC.rk}`), never as literals.
 */
export const WC = {
  /** The batch row's identity (its row id, or the file's row number for Parquet read in place): later rows win ties. */
  row: '__tm_row',
  /** The record key, as Hudi renders it into `_hoodie_record_key`. */
  rk: '__tm_rk',
  /** The partition path the record belongs in (`_hoodie_partition_path`). */
  pp: '__tm_pp',
  /** The prefix of the partition values, one column per partition field (`__tm_pv0`, …), before they form the path. */
  pv: '__tm_pv',
  /** Whether the record is a delete (the delete marker, or a `delete` operation). */
  del: '__tm_del',
  /** The file group a record goes to (its index in the plan): its stored version's for updates and deletes, the one chosen for inserts. */
  fg: '__tm_fg',
  /** The stored version's row position in its base file (`file_row_number`). */
  pos: '__tm_pos',
  /** What the plan does with a record: `insert`, `update`, `delete`, `unchanged`, … */
  kind: '__tm_kind',
  /** The row number of a Parquet input read in place (`SOURCE_ROW`; a staged table uses `rowid`). */
  srcRow: '__tm_src_row',
} as const;

/** The name of a working column. */
export type WorkingColumn = (typeof WC)[keyof typeof WC];
