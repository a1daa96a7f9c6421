# Logs-based metrics over the JSON lines the functions write (shared/core/log-lines.ts names the
# lines and their fields). In Cloud Logging a line's fields are `jsonPayload.<field>`;
# test/integration/terraform-monitoring.test.ts checks every path used here against lines the
# pipeline writes. The dashboard (dashboard.tf) and the alerts (alerts.tf) read these metrics.

locals {
  # A 2nd gen function runs as the Cloud Run service of the same name and logs as its revisions.
  function_service_names = concat(
    [for f in google_cloudfunctions2_function.event : f.name],
    [google_cloudfunctions2_function.webhook.name],
  )
  function_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for name in local.function_service_names : "\"${name}\""])})"

  # Cloud Run's 5xx answers of the four functions, and the messages waiting in the dead-letter
  # subscriptions, as Cloud Monitoring filters (the dashboard and the alerts use both).
  function_5xx_filter        = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND metric.labels.response_code_class=\"5xx\" AND resource.labels.service_name=monitoring.regex.full_match(\"${join("|", local.function_service_names)}\")"
  dead_letter_subscriptions  = [for s in google_pubsub_subscription.dead_letter_retained : s.name]
  dead_letter_backlog_filter = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=monitoring.regex.full_match(\"${join("|", local.dead_letter_subscriptions)}\")"

  # What Cloud Monitoring calls each metric.
  log_metric_types = {
    launches       = "logging.googleapis.com/user/${google_logging_metric.launches.name}"
    refusals       = "logging.googleapis.com/user/${google_logging_metric.refusals.name}"
    decisions      = "logging.googleapis.com/user/${google_logging_metric.decisions.name}"
    completions    = "logging.googleapis.com/user/${google_logging_metric.completions.name}"
    launch_latency = "logging.googleapis.com/user/${google_logging_metric.launch_latency.name}"
  }
  # Each metric as a Cloud Monitoring filter over the functions' revisions (dashboard and alerts).
  # Spelled out rather than a `for` expression, so the HCL tests can read each filter.
  log_metric_filters = {
    launches       = "metric.type=\"${local.log_metric_types.launches}\" AND resource.type=\"cloud_run_revision\""
    refusals       = "metric.type=\"${local.log_metric_types.refusals}\" AND resource.type=\"cloud_run_revision\""
    decisions      = "metric.type=\"${local.log_metric_types.decisions}\" AND resource.type=\"cloud_run_revision\""
    completions    = "metric.type=\"${local.log_metric_types.completions}\" AND resource.type=\"cloud_run_revision\""
    launch_latency = "metric.type=\"${local.log_metric_types.launch_latency}\" AND resource.type=\"cloud_run_revision\""
  }
}

resource "google_logging_metric" "launches" {
  project     = var.project_id
  name        = "${var.name_prefix}/launches"
  description = "Batch jobs streamgate created (repeats of a request are not counted)."
  filter      = "${local.function_logs} AND jsonPayload.message=\"job launched\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "streamgate launches"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "Entry point: push, pubsub or webhook."
    }
    labels {
      key         = "streaming"
      value_type  = "STRING"
      description = "Whether the job streams its image: true or false."
    }
    labels {
      key         = "verdict"
      value_type  = "STRING"
      description = "The eligibility verdict: eligible, ineligible or needs-resolution."
    }
  }

  label_extractors = {
    source    = "EXTRACT(jsonPayload.source)"
    streaming = "EXTRACT(jsonPayload.streaming)"
    verdict   = "EXTRACT(jsonPayload.verdict)"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "refusals" {
  project     = var.project_id
  name        = "${var.name_prefix}/refusals"
  description = "Requests streamgate refused for good (each one published as request.rejected)."
  filter      = "${local.function_logs} AND jsonPayload.message=\"request rejected\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "streamgate refusals"
    labels {
      key         = "reason"
      value_type  = "STRING"
      description = "The first reason code (docs/reason-codes.md)."
    }
    labels {
      key         = "category"
      value_type  = "STRING"
      description = "invalid, policy, conflict, ineligible or image."
    }
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "Entry point: push, pubsub or webhook."
    }
  }

  label_extractors = {
    reason   = "EXTRACT(jsonPayload.reasonCode)"
    category = "EXTRACT(jsonPayload.category)"
    source   = "EXTRACT(jsonPayload.source)"
  }

  depends_on = [google_project_service.apis]
}

# Every request decided, launched or refused: the denominator of the refusal rate (alerts.tf).
resource "google_logging_metric" "decisions" {
  project     = var.project_id
  name        = "${var.name_prefix}/decisions"
  description = "Requests streamgate decided: a job launched, or a refusal."
  filter      = "${local.function_logs} AND jsonPayload.message=(\"job launched\" OR \"request rejected\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "streamgate decisions"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "completions" {
  project     = var.project_id
  name        = "${var.name_prefix}/completions"
  description = "Jobs that reached a terminal state (one job.completed each)."
  filter      = "${local.function_logs} AND jsonPayload.message=\"job completed\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "streamgate completions"
    labels {
      key         = "state"
      value_type  = "STRING"
      description = "The terminal state Batch records: SUCCEEDED, FAILED or CANCELLED."
    }
    labels {
      key         = "streaming"
      value_type  = "STRING"
      description = "Whether the job streamed its image: true or false."
    }
  }

  label_extractors = {
    state     = "EXTRACT(jsonPayload.state)"
    streaming = "EXTRACT(jsonPayload.streaming)"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "launch_latency" {
  project     = var.project_id
  name        = "${var.name_prefix}/launch_latency"
  description = "Milliseconds from a function's receipt of the event to Batch's answer to CreateJob, per job created."
  filter      = "${local.function_logs} AND jsonPayload.message=\"job launched\" AND jsonPayload.launchLatencyMs>=0"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "streamgate launch latency"
    labels {
      key         = "source"
      value_type  = "STRING"
      description = "Entry point: push, pubsub or webhook."
    }
  }

  value_extractor = "EXTRACT(jsonPayload.launchLatencyMs)"
  label_extractors = {
    source = "EXTRACT(jsonPayload.source)"
  }

  # 10 ms up to about 72 minutes, each bucket 1.5 times the one before.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 32
      growth_factor      = 1.5
      scale              = 10
    }
  }

  depends_on = [google_project_service.apis]
}
