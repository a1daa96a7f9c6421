# The dashboard an operator opens first: what launched and whether it streamed, why the rest was
# refused, how jobs ended, how long a launch takes, and whether anything fails or is stuck.

locals {
  # One chart per entry: its data sets, each a filter and how its series are aligned and summed.
  dashboard_charts = [
    {
      title = "Launches by source and streaming (per minute)"
      data_sets = [{
        filter   = local.log_metric_filters.launches
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.source", "metric.label.streaming"]
        plot     = "STACKED_BAR"
      }]
    },
    {
      title = "Launches by eligibility verdict (per minute)"
      data_sets = [{
        filter   = local.log_metric_filters.launches
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.verdict"]
        plot     = "STACKED_BAR"
      }]
    },
    {
      # The line is every decision (launched or refused): the bars' share of it is the refusal rate.
      title = "Refusals by reason code, and all decisions (per minute)"
      data_sets = [
        {
          filter   = local.log_metric_filters.refusals
          aligner  = "ALIGN_DELTA"
          reducer  = "REDUCE_SUM"
          group_by = ["metric.label.reason"]
          plot     = "STACKED_BAR"
        },
        {
          filter   = local.log_metric_filters.decisions
          aligner  = "ALIGN_DELTA"
          reducer  = "REDUCE_SUM"
          group_by = []
          plot     = "LINE"
        },
      ]
    },
    {
      title = "Completions by state (per minute)"
      data_sets = [{
        filter   = local.log_metric_filters.completions
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.state"]
        plot     = "STACKED_BAR"
      }]
    },
    {
      title = "Launch latency, receipt to CreateJob answered (ms: p50, p95, p99)"
      data_sets = [for p in ["50", "95", "99"] : {
        filter   = local.log_metric_filters.launch_latency
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_PERCENTILE_${p}"
        group_by = []
        plot     = "LINE"
      }]
    },
    {
      title = "Function 5xx answers (per minute)"
      data_sets = [{
        filter   = local.function_5xx_filter
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_SUM"
        group_by = ["resource.label.service_name"]
        plot     = "STACKED_BAR"
      }]
    },
    {
      title = "Dead-letter backlog (undelivered messages)"
      data_sets = [{
        filter   = local.dead_letter_backlog_filter
        aligner  = "ALIGN_MAX"
        reducer  = "REDUCE_MAX"
        group_by = ["resource.label.subscription_id"]
        plot     = "LINE"
      }]
    },
  ]
}

resource "google_monitoring_dashboard" "streamgate" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix}: launches, refusals, completions"
    mosaicLayout = {
      columns = 48
      tiles = [for i, chart in local.dashboard_charts : {
        xPos   = (i % 2) * 24
        yPos   = floor(i / 2) * 16
        width  = 24
        height = 16
        widget = {
          title = chart.title
          xyChart = {
            dataSets = [for d in chart.data_sets : {
              plotType   = d.plot
              targetAxis = "Y1"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter = d.filter
                  aggregation = {
                    alignmentPeriod    = "60s"
                    perSeriesAligner   = d.aligner
                    crossSeriesReducer = d.reducer
                    groupByFields      = d.group_by
                  }
                }
              }
            }]
            yAxis = { scale = "LINEAR" }
          }
        }
      }]
    }
  })

  depends_on = [google_project_service.apis]
}
