# One push subscription per Pub/Sub path, straight to its function. Unlike an Eventarc trigger, an
# explicit subscription lets us set the dead-letter topic, the retry backoff and the ack deadline.

resource "google_pubsub_subscription" "push" {
  for_each = local.event_functions

  project = var.project_id
  name    = "${var.name_prefix}-${each.key}-push"
  topic   = each.value.topic_id
  labels  = { app = "streamgate" }

  # Pub/Sub waits this long for the function's answer before it redelivers.
  ack_deadline_seconds       = var.function_timeout_seconds
  message_retention_duration = "604800s" # 7 days of backlog while a function is broken

  push_config {
    # The functions read the topic from the /projects/P/topics/T path.
    push_endpoint = "${google_cloudfunctions2_function.event[each.key].url}/projects/${var.project_id}/topics/${each.value.topic_name}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.event[each.key].url
    }

    # Payload unwrapping: the data is the body, metadata and attributes are headers. Always with
    # write_metadata: onJobStateChanged reads Batch's attributes, and message ids key the requests.
    dynamic "no_wrapper" {
      for_each = var.push_unwrapped ? [true] : []
      content {
        write_metadata = true
      }
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = "" # a quiet topic must not delete its subscription
  }

  depends_on = [
    google_cloud_run_service_iam_member.invoker_calls_event_function,
    google_service_account_iam_member.pubsub_signs_as_invoker,
    google_pubsub_topic_iam_member.pubsub_publishes_dead_letters,
  ]
}
