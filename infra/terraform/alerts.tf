# Alert policies: a message in a dead-letter subscription, a refusal rate over a threshold, and
# functions answering 5xx. Each notifies var.alert_notification_channels (none: the incident only
# shows in Cloud Monitoring).

locals {
  # 0.2 reads "20%" (a plain `* 100` can print 15.0000000000000001 for 0.15).
  refusal_alert_percent = format("%.4g%%", var.refusal_alert_ratio * 100)
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: messages in a dead-letter subscription"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "Undelivered messages in a dead-letter subscription"
    condition_threshold {
      filter          = local.dead_letter_backlog_filter
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A Pub/Sub message was delivered ${var.max_delivery_attempts} times without being handled and now waits in a dead-letter subscription. Pull it (`gcloud pubsub subscriptions pull SUBSCRIPTION --auto-ack=false`), find its function's logs by its message id (the correlation id), fix the cause, then republish it to its topic or acknowledge it. See the README, \"Operate\"."
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "refusal_rate" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: refusal rate over ${local.refusal_alert_percent}"
  combiner              = "AND"
  severity              = "WARNING"
  notification_channels = var.alert_notification_channels

  # Refusals per decision (launched or refused) over 10 minutes...
  conditions {
    display_name = "Refusals over ${local.refusal_alert_percent} of decisions in 10 minutes"
    condition_threshold {
      filter             = local.log_metric_filters.refusals
      denominator_filter = local.log_metric_filters.decisions
      comparison         = "COMPARISON_GT"
      threshold_value    = var.refusal_alert_ratio
      duration           = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  # ...and enough of them that one refusal in a quiet hour does not page anyone.
  conditions {
    display_name = "At least ${var.refusal_alert_min_refusals} refusals in 10 minutes"
    condition_threshold {
      filter          = local.log_metric_filters.refusals
      comparison      = "COMPARISON_GT"
      threshold_value = var.refusal_alert_min_refusals - 1
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "streamgate refused more than ${local.refusal_alert_percent} of the requests it decided in 10 minutes. The dashboard's \"Refusals by reason code\" chart says why; docs/reason-codes.md says what each code means and what to do. Each refusal is also a request.rejected event."
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "function_5xx" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: functions answering 5xx"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels

  conditions {
    display_name = "More than ${var.function_5xx_alert_threshold} 5xx answers of one function in 5 minutes"
    condition_threshold {
      filter          = local.function_5xx_filter
      comparison      = "COMPARISON_GT"
      threshold_value = var.function_5xx_alert_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A streamgate function answered 5xx. The event functions answer 500 on purpose for transient failures (Batch, the registry or Pub/Sub unavailable) so that Pub/Sub redelivers; the webhook answers 503 for them, and 500 only for a misconfigured deployment or a bug. Read the function's ERROR and CRITICAL log lines."
  }

  depends_on = [google_project_service.apis]
}
