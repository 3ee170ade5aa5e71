// Package schemas owns the shape of everything ccw writes for users: the
// Arrow schemas of the Parquet tables (turns.parquet, and the tables other
// packages add), each with its name and version in the schema metadata, the
// reading and writing of those tables, and the run.json manifest.
//
// A table is declared once, as a Go struct with `arrow:"column"` tags; the
// Arrow schema, the writer and the reader are derived from it, so the three
// cannot drift apart. Files are written to a temporary name and renamed, so
// a reader never sees half a table. The package knows nothing about how
// rows are computed.
package schemas
