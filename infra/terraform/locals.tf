# Names and the rendered streamgate config.
data "google_project" "this" {
  project_id = var.project_id
  depends_on = [google_project_service.apis]
}

locals {
  project_number = data.google_project.this.number

  # Google-managed service agents (they exist once their API is enabled).
  pubsub_service_agent = "serviceAccount:service-${local.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  # Format unverified: Google documents the agent's role, not its address.
  batch_service_agent = "serviceAccount:service-${local.project_number}@gcp-sa-cloudbatch.iam.gserviceaccount.com"

  gcr_topic_id   = var.gcr_topic_exists ? data.google_pubsub_topic.gcr[0].id : google_pubsub_topic.gcr[0].id
  gcr_topic_name = var.gcr_topic_exists ? data.google_pubsub_topic.gcr[0].name : google_pubsub_topic.gcr[0].name

  # The three CloudEvent functions, one per Pub/Sub path. Each key names the function, its push
  # subscription and its dead-letter topic; the entry points are registered in functions/index.ts.
  event_functions = {
    image-push = {
      entry_point = "onImagePush"
      description = "Launches Batch jobs for images pushed to Artifact Registry (gcr topic)."
      topic_id    = local.gcr_topic_id
      topic_name  = local.gcr_topic_name
    }
    job-request = {
      entry_point = "onJobRequest"
      description = "Launches Batch jobs for JobRequest v1 messages."
      topic_id    = google_pubsub_topic.requests.id
      topic_name  = google_pubsub_topic.requests.name
    }
    job-state = {
      entry_point = "onJobStateChanged"
      description = "Publishes job.completed when a Batch job reaches a final state."
      topic_id    = google_pubsub_topic.notifications.id
      topic_name  = google_pubsub_topic.notifications.name
    }
  }

  # Fields Terraform owns: they must match what it created, whatever the config file says.
  managed_config = {
    project           = var.project_id
    projectNumber     = local.project_number
    jobServiceAccount = google_service_account.job.email
    topics = {
      events        = google_pubsub_topic.events.name
      notifications = google_pubsub_topic.notifications.name
      requests      = google_pubsub_topic.requests.name
      gcr           = local.gcr_topic_name
    }
  }

  # Optional sections are left out rather than sent as null: the config schema is strict.
  locations_config = { for k, v in {
    batchRegions = var.batch_regions
    multiRegions = var.multi_regions == null ? null : {
      for name, m in var.multi_regions : name => { regionPrefixes = m.region_prefixes, defaultRegion = m.default_region }
    }
  } : k => v if v != null }

  # try(): policy is null when config_file is used. Unset fields are dropped below.
  policy_fields = {
    allowedRepositories       = try(var.policy.allowed_repositories, null)
    allowedRegions            = try(var.policy.allowed_regions, null)
    allowedMachineTypes       = try(var.policy.allowed_machine_types, null)
    maxTaskCount              = try(var.policy.max_task_count, null)
    maxParallelism            = try(var.policy.max_parallelism, null)
    maxRunDurationSeconds     = try(var.policy.max_run_duration_seconds, null)
    allowNonStreamingFallback = try(var.policy.allow_non_streaming_fallback, null)
  }

  # Everything in the config that is not managed_config; keys follow shared/core/config.ts.
  rendered_sections = {
    platform  = var.platform
    defaults  = var.job_defaults
    rules     = var.rules
    policy    = { for k, v in local.policy_fields : k => v if v != null }
    locations = local.locations_config
    webhook = {
      toleranceSeconds = var.webhook_tolerance_seconds
      maxBodyBytes     = var.webhook_max_body_bytes
    }
    events = {
      stateChanged = var.publish_state_changes
    }
  }

  rendered_config = merge(local.managed_config, local.rendered_sections)

  # Each branch is encoded on its own: the two objects have different types, a conditional needs one.
  config_json = (var.config_file == null
    ? jsonencode(local.rendered_config)
    : jsonencode(merge(jsondecode(file(var.config_file)), local.managed_config))
  )
}
