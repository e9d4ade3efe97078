-- 省级汇总分析: province-wide queries over many registries' Parquet exports
-- (`baosong export --what register --format parquet`, one directory per registry).
--
-- The queries read the views `reports`, `incidents` and `scores`; `baosong analyze DIR` creates them
-- over every reports.parquet / incidents.parquet / scores.parquet under DIR and runs each query below.
-- With the DuckDB command line instead (times then shown in its own time zone):
--   duckdb -c "CREATE VIEW reports AS FROM read_parquet('省/**/reports.parquet', union_by_name = true);
--              CREATE VIEW incidents AS FROM read_parquet('省/**/incidents.parquet', union_by_name = true);
--              CREATE VIEW scores AS FROM read_parquet('省/**/scores.parquet', union_by_name = true);
--              .read province.sql"
-- The `registry` column tells the registries apart; `registry_name` is the city's name.
-- Each query starts at a "-- name:" line (optionally "-- title:") and ends with a semicolon.

-- name: city_ranking
-- title: 各市报送及时率排名（有报送时限的报告）
SELECT
  rank() OVER (ORDER BY on_time_rate DESC, missed, registry) AS "排名",
  registry_name AS "登记库", registry AS "标识", judged AS "有时限报告", on_time AS "按时", late AS "迟报",
  missed AS "漏报", on_time_rate AS "按时率（%）"
FROM (
  SELECT registry, any_value(registry_name) AS registry_name,
         count(*) AS judged,
         count(*) FILTER (WHERE status = 'on_time') AS on_time,
         count(*) FILTER (WHERE status = 'late') AS late,
         count(*) FILTER (WHERE status = 'missed') AS missed,
         round(100.0 * count(*) FILTER (WHERE status = 'on_time') / count(*), 1) AS on_time_rate
  FROM reports
  WHERE status IN ('on_time', 'late', 'missed')
  GROUP BY registry
)
ORDER BY 1, registry;

-- name: category_late_missed
-- title: 全省各类突发事件报告的迟报、漏报
SELECT
  coalesce(category_name, category, '（未分类）') AS "事件类别",
  count(*) AS "报告",
  count(*) FILTER (WHERE status = 'late') AS "迟报",
  count(*) FILTER (WHERE status = 'missed') AS "漏报",
  round(100.0 * count(*) FILTER (WHERE status IN ('late', 'missed'))
        / nullif(count(*) FILTER (WHERE status IN ('on_time', 'late', 'missed')), 0), 1) AS "迟报漏报率（%）",
  count(DISTINCT registry) FILTER (WHERE status IN ('late', 'missed')) AS "涉及登记库",
  round(median(delay_minutes) FILTER (WHERE status = 'late')) AS "迟报超时中位数（分钟）"
FROM reports
WHERE kind = 'emergency'
GROUP BY 1
ORDER BY "迟报" + "漏报" DESC, "报告" DESC, 1;

-- name: city_incidents
-- title: 各市突发事件与续报情况
SELECT
  registry_name AS "登记库", registry AS "标识",
  count(*) AS "事件",
  count(*) FILTER (WHERE closed_at IS NULL) AS "未终报",
  count(*) FILTER (WHERE first_status IN ('late', 'missed')) AS "首报迟报漏报",
  count(*) FILTER (WHERE missed_followup IS NOT NULL) AS "续报漏报",
  count(*) FILTER (WHERE len(silent_units) > 0) AS "有涉及未报单位",
  coalesce(sum(deaths), 0) AS "死亡（人）"
FROM incidents
GROUP BY registry, registry_name
ORDER BY "首报迟报漏报" + "续报漏报" DESC, registry;

-- name: city_month
-- title: 各市各月报告数与迟报、漏报
SELECT
  registry_name AS "登记库", registry AS "标识", strftime(received_at, '%Y-%m') AS "月份",
  count(*) AS "报告",
  count(*) FILTER (WHERE status = 'late') AS "迟报",
  count(*) FILTER (WHERE status = 'missed') AS "漏报"
FROM reports
WHERE received_at IS NOT NULL
GROUP BY registry, registry_name, 3
ORDER BY registry, 3;

-- name: upward_duties
-- title: 各市向上报送义务（上报省、中央）的完成情况
SELECT
  i.registry_name AS "登记库", u."to" AS "报送对象", u.status AS "状态", count(*) AS "事件",
  round(avg(u.delay_minutes) FILTER (WHERE u.status = 'late')) AS "平均超时（分钟）"
FROM incidents AS i, unnest(i.upward) AS t(u)
GROUP BY i.registry, i.registry_name, u."to", u.status
ORDER BY i.registry, u."to", u.status;
