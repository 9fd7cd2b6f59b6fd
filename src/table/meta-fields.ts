/**
 * Hudi's meta fields: the five columns first in every base file, and the incoming column that marks
 * a row as a delete. Pure names, shared by writes (which fill them) and reads (which return them).
 */

/** Hudi's meta columns, first in every base file. */
export const META_COLUMNS = ['_hoodie_commit_time', '_hoodie_commit_seqno', '_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name'] as const;
/** An incoming column that marks a row as a delete (Hudi's convention); never stored. */
export const DELETE_MARKER = '_hoodie_is_deleted';
