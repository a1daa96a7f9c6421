output "webhook_url" {
  description = "Base URL of the webhook: POST <url>/jobs with an X-Streamgate-Signature header."
  value       = google_cloudfunctions2_function.webhook.url
}

output "function_names" {
  description = "Cloud Function names by role."
  value = merge(
    { for k, f in google_cloudfunctions2_function.event : k => f.name },
    { webhook = google_cloudfunctions2_function.webhook.name }
  )
}

output "topics" {
  description = "Pub/Sub topic names: gcr (Artifact Registry), requests (JobRequest v1 in), notifications (Batch state changes), events (streamgate out)."
  value = {
    gcr           = local.gcr_topic_name
    requests      = google_pubsub_topic.requests.name
    notifications = google_pubsub_topic.notifications.name
    events        = google_pubsub_topic.events.name
  }
}

output "dead_letter_topics" {
  description = "Dead-letter topic per Pub/Sub path, and the subscription that keeps its messages."
  value = {
    for k, t in google_pubsub_topic.dead_letter : k => {
      topic        = t.name
      subscription = google_pubsub_subscription.dead_letter_retained[k].name
    }
  }
}

output "service_accounts" {
  description = "Service account emails: functions (one per function, by role), job (Batch VMs), invoker (Pub/Sub push), build (Cloud Build)."
  value = {
    functions = { for k, a in google_service_account.function : k => a.email }
    job       = google_service_account.job.email
    invoker   = google_service_account.invoker.email
    build     = google_service_account.build.email
  }
}

output "webhook_secret" {
  description = "Secret Manager secret holding the webhook HMAC key(s)."
  value       = google_secret_manager_secret.webhook_keys.secret_id
}

output "source_bucket" {
  description = "Bucket with the functions' source archives."
  value       = google_storage_bucket.source.name
}

output "monitoring" {
  description = "The dashboard (Cloud Monitoring > Dashboards), the logs-based metric types and the alert policies."
  value = {
    dashboard      = google_monitoring_dashboard.streamgate.id
    metric_types   = local.log_metric_types
    alert_policies = [for p in [google_monitoring_alert_policy.dead_letters, google_monitoring_alert_policy.refusal_rate, google_monitoring_alert_policy.function_5xx] : p.name]
  }
}
