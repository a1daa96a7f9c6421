# Pub/Sub topics: the three inputs (gcr, requests, Batch notifications), the events streamgate
# publishes, and one dead-letter topic per input path, each with a subscription that keeps what
# lands there (a topic with no subscription drops every message).

# Artifact Registry publishes to a topic named exactly `gcr` and creates it when its API is enabled,
# except e.g. under a CMEK org policy: then set gcr_topic_exists = false and Terraform creates it.
data "google_pubsub_topic" "gcr" {
  count      = var.gcr_topic_exists ? 1 : 0
  project    = var.project_id
  name       = "gcr"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "gcr" {
  count      = var.gcr_topic_exists ? 0 : 1
  project    = var.project_id
  name       = "gcr"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "requests" {
  project    = var.project_id
  name       = "${var.name_prefix}-job-requests"
  labels     = { app = "streamgate" }
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "notifications" {
  project    = var.project_id
  name       = "${var.name_prefix}-batch-notifications"
  labels     = { app = "streamgate" }
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "events" {
  project    = var.project_id
  name       = "${var.name_prefix}-events"
  labels     = { app = "streamgate" }
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.event_functions

  project    = var.project_id
  name       = "${var.name_prefix}-${each.key}-dead-letter"
  labels     = { app = "streamgate" }
  depends_on = [google_project_service.apis]
}

# Pull subscriptions nobody consumes automatically: they only retain dead letters for inspection.
resource "google_pubsub_subscription" "dead_letter_retained" {
  for_each = local.event_functions

  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}-dead-letter-retained"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "${var.dead_letter_retention_days * 86400}s"
  retain_acked_messages      = false
  ack_deadline_seconds       = 60
  labels                     = { app = "streamgate" }

  expiration_policy {
    ttl = "" # never expire, even when nobody pulls for a long time
  }
}
