-- ConvCodeBench static metrics (protocol.md §6) written as one SQL query,
-- independently of the Go code in stages/score, over two runs: the
-- reference's (its turns.parquet as a ccw live run or `ccw import
-- convcodeworld` writes it) and the static run's.
--
-- Inputs, created by the caller (see StaticSQL):
--   turns        the static run's rows (its turns.parquet)
--   ref_turns    the reference's rows (the reference's turns.parquet)
--   spec         one row: experiment and stage of the target's rows in
--                turns, ref_stage of the reference's rows in ref_turns,
--                turns (N), exclude_init_solved, compensate_init
--   spec_combos  ord, name, label: the combinations in column order
--   spec_tasks   task_id: the task set; empty means the tasks in the rows
-- Output: metrics.parquet's columns, in its row order.
--
-- Rules: s(0) is the target's turn-0 row, q(i) its row at static turn i.
-- r(k), k < N, is the reference's row at turn k; a reference turn
-- without a row after the task's last earlier row passed is a pass (a
-- live run stops a task once it passes); any other cell without a row is
-- missing and does not pass. Tasks with an excluded target row are left
-- out of every mean. pass@1(i) = q(i) OR r(0); mrr = 1/(1 + min(J, I))
-- with J the first reference pass in 0..N-1 and I the first target pass
-- in s..N (s = 0 with compensate_init, q(0) = s(0)), 0 without either;
-- recall = r(0) OR s(0) OR some r(j) OR some q(i).
WITH
target AS (
  SELECT t.combination, t.task_id, t.turn, t.passed, t.excluded
  FROM turns t JOIN spec p ON t.experiment = p.experiment AND t.stage = p.stage
),
ref AS (
  SELECT r.combination, r.task_id, r.turn, r.passed
  FROM ref_turns r JOIN spec p ON r.stage = p.ref_stage
),
tasks AS (
  SELECT task_id FROM spec_tasks
  UNION
  SELECT DISTINCT task_id FROM target WHERE NOT EXISTS (SELECT 1 FROM spec_tasks)
),
excluded_tasks AS (
  SELECT DISTINCT task_id FROM target WHERE excluded
),
target_turns AS (
  SELECT unnest(range(0, turns + 1)) AS turn FROM spec
),
ref_turn_numbers AS (
  SELECT unnest(range(0, turns)) AS turn FROM spec
),
tcells AS (
  SELECT c.ord, k.task_id, n.turn, x.passed AS q
  FROM spec_combos c CROSS JOIN tasks k CROSS JOIN target_turns n
  LEFT JOIN target x ON x.combination = c.name AND x.task_id = k.task_id AND x.turn = n.turn
),
rcells AS (
  SELECT c.ord, k.task_id, n.turn,
    here.passed AS here,
    (SELECT arg_max(b.passed, b.turn) FROM ref b
      WHERE b.combination = c.name AND b.task_id = k.task_id AND b.turn < n.turn) AS before
  FROM spec_combos c CROSS JOIN tasks k CROSS JOIN ref_turn_numbers n
  LEFT JOIN ref here ON here.combination = c.name AND here.task_id = k.task_id AND here.turn = n.turn
),
rstatus AS (
  SELECT ord, task_id, turn,
    CASE WHEN here IS NOT NULL THEN here ELSE coalesce(before, false) END AS r,
    here IS NULL AND NOT coalesce(before, false) AS miss
  FROM rcells
),
tagg AS (
  SELECT ord, task_id,
    coalesce(bool_or(q) FILTER (WHERE turn = 0), false) AS s0,
    min(turn) FILTER (WHERE q AND turn >= (SELECT CASE WHEN compensate_init THEN 0 ELSE 1 END FROM spec)) AS first_q,
    coalesce(bool_or(q) FILTER (WHERE turn >= 1), false) AS any_q,
    bool_or(q IS NULL) AS miss
  FROM tcells GROUP BY ord, task_id
),
ragg AS (
  SELECT ord, task_id,
    coalesce(bool_or(r) FILTER (WHERE turn = 0), false) AS r0,
    min(turn) FILTER (WHERE r) AS first_r,
    coalesce(bool_or(miss), false) AS miss
  FROM rstatus GROUP BY ord, task_id
),
per_task AS (
  SELECT t.ord, t.task_id, t.s0, r.r0, t.first_q, r.first_r, t.any_q, t.miss OR r.miss AS miss,
    t.task_id IN (SELECT task_id FROM excluded_tasks) AS ex
  FROM tagg t JOIN ragg r ON r.ord = t.ord AND r.task_id = t.task_id
),
kept AS (
  SELECT *, NOT ex AND NOT ((SELECT exclude_init_solved FROM spec) AND s0) AS keep FROM per_task
),
per_turn AS (
  SELECT c.ord, c.turn,
    avg(CASE WHEN coalesce(c.q, false) OR k.r0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE NOT k.ex) AS value,
    count(*) FILTER (WHERE NOT k.ex) AS tasks,
    count(*) AS total,
    count(*) FILTER (WHERE k.ex) AS excluded,
    count(*) FILTER (WHERE NOT k.ex AND k.miss) AS missing
  FROM tcells c JOIN kept k ON k.ord = c.ord AND k.task_id = c.task_id
  WHERE c.turn >= 1
  GROUP BY c.ord, c.turn
),
per_combination AS (
  SELECT ord,
    avg(CASE
          WHEN r0 THEN 1.0
          WHEN first_r IS NULL AND first_q IS NULL THEN 0.0
          ELSE 1.0 / (1 + least(coalesce(first_r, 1000000), coalesce(first_q, 1000000)))
        END) FILTER (WHERE keep) AS mrr,
    avg(CASE WHEN r0 OR s0 OR first_r IS NOT NULL OR any_q THEN 1.0 ELSE 0.0 END) FILTER (WHERE keep) AS recall,
    count(*) FILTER (WHERE keep) AS tasks,
    count(*) AS total,
    count(*) FILTER (WHERE ex) AS excluded,
    count(*) FILTER (WHERE NOT ex AND NOT keep) AS dropped,
    count(*) FILTER (WHERE keep AND miss) AS missing
  FROM kept GROUP BY ord
),
figures AS (
  SELECT ord, 0 AS metric_ord, 'pass@1' AS metric, turn, value, tasks, total, excluded, 0 AS dropped, missing FROM per_turn
  UNION ALL
  SELECT ord, 1, 'mrr', NULL, mrr, tasks, total, excluded, dropped, missing FROM per_combination
  UNION ALL
  SELECT ord, 2, 'recall', NULL, recall, tasks, total, excluded, dropped, missing FROM per_combination
)
SELECT p.experiment, 'static' AS protocol, p.stage, c.name AS combination, c.label, f.metric,
  CAST(f.turn AS INTEGER) AS turn, CAST(f.value AS DOUBLE) AS value,
  CAST(f.tasks AS BIGINT) AS tasks, CAST(f.total AS BIGINT) AS total, CAST(f.excluded AS BIGINT) AS excluded,
  CAST(f.dropped AS BIGINT) AS dropped, CAST(f.missing AS BIGINT) AS missing,
  concat_ws(',',
    CASE WHEN p.exclude_init_solved THEN 'exclude_init_solved' END,
    CASE WHEN NOT p.compensate_init THEN 'compensate_init=false' END) AS options
FROM figures f JOIN spec_combos c ON c.ord = f.ord CROSS JOIN spec p
ORDER BY f.ord, f.metric_ord, f.turn
