// Package score owns the score stage: it turns one execution of one
// program (and, in multi-turn pipelines, the feedback and model accounting
// of that turn) into a turn row: passed or not, the tests, the code and its
// digest. The engine writes every score result as one row of turns.parquet.
// Metrics over rows (Pass@1 per turn, MRR, Recall) are computed by reports,
// not here.
package score
