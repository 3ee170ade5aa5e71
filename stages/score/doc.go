// Package score owns scoring: the score stage, which turns one execution
// of one program (and, in multi-turn pipelines, the feedback and model
// accounting of that turn) into a turn row that the engine writes to
// turns.parquet, and the summaries computed over rows: the calibration
// report of reference solutions, and the metrics of protocol.md §6 that the
// engine writes to metrics.parquet: ConvCodeWorld's (Live: Pass@1 per
// turn, MRR, Recall) and ConvCodeBench's (Static: a target model's turns
// written from a reference's frozen history).
package score
