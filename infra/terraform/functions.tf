# The four Cloud Functions (2nd gen, on var.runtime: see runtime.tf). All share one source archive;
# the entry point picks the handler registered in functions/index.ts. The three event functions
# have no Eventarc trigger: Pub/Sub pushes to them through the subscriptions in subscriptions.tf
# (see docs/deploy.md, "Push subscriptions, not Eventarc triggers", for why).

locals {
  source_storage = {
    bucket = google_storage_bucket.source.name
    object = google_storage_bucket_object.source.name
  }
}

resource "google_cloudfunctions2_function" "event" {
  for_each = local.event_functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  labels      = { app = "streamgate" }

  build_config {
    runtime         = var.runtime
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = local.source_storage.bucket
        object = local.source_storage.object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    available_memory                 = var.function_memory
    available_cpu                    = "1"
    timeout_seconds                  = var.function_timeout_seconds
    max_instance_count               = var.function_max_instances
    min_instance_count               = var.function_min_instances
    max_instance_request_concurrency = var.function_concurrency
    # Reachable from Pub/Sub's push servers; only the invoker service account may call it (IAM).
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    environment_variables = {
      STREAMGATE_CONFIG_JSON = local.config_json
      STREAMGATE_LOG_LEVEL   = var.log_level
      NODE_ENV               = "production"
      # Where mode "repair" may write (iam.tf grants the writer role on exactly these).
      STREAMGATE_REPAIR_REPOSITORIES = local.repair_repository_hosts
      NODE_OPTIONS                   = local.node_options
    }
  }

  lifecycle {
    precondition {
      condition     = var.config_file != null || var.policy != null
      error_message = "Set either config_file or policy: the functions need a policy to check requests against."
    }
    # Google refuses to create or update a function on a decommissioned runtime (runtime.tf).
    precondition {
      condition     = local.runtime_refusal == ""
      error_message = local.runtime_refusal
    }
  }

  depends_on = [
    google_project_iam_member.build,
    google_project_iam_member.function_creates_jobs,
    google_project_iam_member.function_reads_jobs,
    google_service_account_iam_member.function_acts_as_job,
  ]
}

resource "google_cloudfunctions2_function" "webhook" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-webhook"
  description = "HTTPS webhook (HMAC-signed): POST /jobs, POST /jobs:plan, GET /jobs/<id>."
  labels      = { app = "streamgate" }

  build_config {
    runtime         = var.runtime
    entry_point     = "webhook"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = local.source_storage.bucket
        object = local.source_storage.object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function["webhook"].email
    available_memory                 = var.function_memory
    available_cpu                    = "1"
    timeout_seconds                  = var.function_timeout_seconds
    max_instance_count               = var.function_max_instances
    min_instance_count               = var.function_min_instances
    max_instance_request_concurrency = var.function_concurrency
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    # Every deployed variable of shared/adapters/env.ts; the webhook alone also gets the HMAC keys.
    environment_variables = {
      STREAMGATE_CONFIG_JSON = local.config_json
      STREAMGATE_LOG_LEVEL   = var.log_level
      NODE_ENV               = "production"
      # Where mode "repair" may write (iam.tf grants the writer role on exactly these).
      STREAMGATE_REPAIR_REPOSITORIES = local.repair_repository_hosts
      NODE_OPTIONS                   = local.node_options
    }

    # "latest" is resolved when an instance starts, so a rotated key reaches new instances without
    # a redeploy (running instances keep the old value until they are replaced).
    secret_environment_variables {
      key        = "STREAMGATE_WEBHOOK_SECRETS"
      project_id = var.project_id
      secret     = google_secret_manager_secret.webhook_keys.secret_id
      version    = "latest"
    }
  }

  lifecycle {
    precondition {
      condition     = var.config_file != null || var.policy != null
      error_message = "Set either config_file or policy: the functions need a policy to check requests against."
    }
    # Google refuses to create or update a function on a decommissioned runtime (runtime.tf).
    precondition {
      condition     = local.runtime_refusal == ""
      error_message = local.runtime_refusal
    }
  }

  depends_on = [
    google_project_iam_member.build,
    google_project_iam_member.function_creates_jobs,
    google_service_account_iam_member.function_acts_as_job,
    # The secret is read when an instance starts: the grant must exist first.
    google_secret_manager_secret_iam_member.webhook_reads_keys,
  ]
}
