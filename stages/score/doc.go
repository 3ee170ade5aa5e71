// Package score owns scoring: the score stage, which turns one execution
// of one program (and, in multi-turn pipelines, the feedback and model
// accounting of that turn) into a turn row that the engine writes to
// turns.parquet, and the summaries computed over rows, such as the
// calibration report of reference solutions.
package score
