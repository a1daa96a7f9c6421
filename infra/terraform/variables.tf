# Inputs. Every value that Google would reject late (during apply, or worse, at run time) is
# validated here so that `terraform plan` fails early with a clear message.

variable "project_id" {
  type        = string
  description = "Project that hosts the functions, topics and Batch jobs."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be 6-30 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  type        = string
  description = "Region of the Cloud Functions, the source bucket and the Cloud Run services behind them (e.g. us-central1)."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west4 (not a zone, not a multi-region)."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (functions, topics, subscriptions, service accounts)."
  default     = "streamgate"

  validation {
    # Service account ids are the tightest limit: 6-30 characters, and the longest suffix is "-fn-state".
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "job_service_account_id" {
  type        = string
  description = "Account id (the part before @) of the service account the Batch jobs run as. Terraform creates it."
  default     = "streamgate-jobs"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.job_service_account_id))
    error_message = "job_service_account_id must be 6-30 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "webhook_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the webhook HMAC key(s), comma-separated. Terraform creates the secret, never its value."
  default     = "streamgate-webhook-keys"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.webhook_secret_id))
    error_message = "webhook_secret_id may only contain letters, digits, underscores and hyphens (1-255 characters)."
  }
}

variable "webhook_public" {
  type        = bool
  description = "true: anyone may call the webhook (allUsers gets roles/run.invoker) and the HMAC signature is the only gate. false: callers also need roles/run.invoker (IAM-only)."
  default     = false
}

variable "webhook_invokers" {
  type        = list(string)
  description = "Extra IAM members allowed to call the webhook when it is not public, e.g. [\"serviceAccount:ci@my-project.iam.gserviceaccount.com\"]."
  default     = []

  validation {
    condition     = alltrue([for m in var.webhook_invokers : can(regex("^(user|serviceAccount|group|domain|principal|principalSet):.+$", m))])
    error_message = "Each webhook_invokers entry must be an IAM member such as serviceAccount:ci@p.iam.gserviceaccount.com or group:ci@example.com."
  }
}

variable "gcr_topic_exists" {
  type        = bool
  description = "true: the `gcr` topic already exists (Artifact Registry creates it when its API is enabled) and is read as a data source. false: Terraform creates it (e.g. where a CMEK org policy kept Artifact Registry from creating it)."
  default     = true
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of one Pub/Sub message before it goes to the dead-letter topic."
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100 && floor(var.max_delivery_attempts) == var.max_delivery_attempts
    error_message = "max_delivery_attempts must be a whole number from 5 to 100 (Pub/Sub's limits)."
  }
}

variable "dead_letter_retention_days" {
  type        = number
  description = "How long dead letters are kept in their retention subscriptions, in days."
  default     = 7

  validation {
    condition     = var.dead_letter_retention_days >= 1 && var.dead_letter_retention_days <= 31 && floor(var.dead_letter_retention_days) == var.dead_letter_retention_days
    error_message = "dead_letter_retention_days must be a whole number from 1 to 31 (Pub/Sub's limits)."
  }
}

variable "function_memory" {
  type        = string
  description = "Memory of each function instance."
  default     = "512Mi"

  validation {
    # The functions run with 1 vCPU (needed for concurrency > 1), whose memory range is 512Mi-4Gi.
    condition     = contains(["512Mi", "1Gi", "2Gi", "4Gi"], var.function_memory)
    error_message = "function_memory must be one of 512Mi, 1Gi, 2Gi, 4Gi."
  }
}

variable "function_timeout_seconds" {
  type        = number
  description = "Request timeout of each function; also the Pub/Sub push acknowledgement deadline."
  default     = 120

  validation {
    # 540 s is the limit for event-driven functions, and 600 s the limit of a push ack deadline.
    condition     = var.function_timeout_seconds >= 10 && var.function_timeout_seconds <= 540 && floor(var.function_timeout_seconds) == var.function_timeout_seconds
    error_message = "function_timeout_seconds must be a whole number from 10 to 540."
  }
}

variable "function_max_instances" {
  type        = number
  description = "Upper bound on instances per function (caps the cost of a message storm)."
  default     = 10

  validation {
    condition     = var.function_max_instances >= 1 && var.function_max_instances <= 1000 && floor(var.function_max_instances) == var.function_max_instances
    error_message = "function_max_instances must be a whole number from 1 to 1000."
  }
}

variable "function_min_instances" {
  type        = number
  description = "Instances kept warm per function. 0 costs nothing at rest; 1 removes cold starts but is billed all the time."
  default     = 0

  validation {
    condition     = var.function_min_instances >= 0 && var.function_min_instances <= 10 && floor(var.function_min_instances) == var.function_min_instances
    error_message = "function_min_instances must be a whole number from 0 to 10."
  }
}

variable "function_concurrency" {
  type        = number
  description = "Concurrent requests per function instance."
  default     = 8

  validation {
    condition     = var.function_concurrency >= 1 && var.function_concurrency <= 1000 && floor(var.function_concurrency) == var.function_concurrency
    error_message = "function_concurrency must be a whole number from 1 to 1000."
  }
}

variable "log_level" {
  type        = string
  description = "STREAMGATE_LOG_LEVEL of the functions."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "grant_batch_service_agent" {
  type        = bool
  description = "Grant the Batch service agent (service-NUMBER@gcp-sa-cloudbatch.iam.gserviceaccount.com, format unverified) publisher on the notifications topic. Set false if apply says that account does not exist."
  default     = true
}

# ---- The streamgate config (rendered into STREAMGATE_CONFIG_JSON) ----

variable "config_file" {
  type        = string
  description = "Path of a streamgate.config.json to deploy instead of the config rendered from the variables below. Terraform still overrides project, projectNumber, topics and jobServiceAccount so that they match what it created."
  default     = null

  validation {
    condition     = var.config_file == null ? true : can(jsondecode(file(var.config_file)))
    error_message = "config_file must be the path of a readable JSON file."
  }
}

variable "rules" {
  type        = any
  description = "Push rules: a list of { name, image (glob), streaming = auto|require|off|repair, template = { job template } }."
  default     = []

  # `for` works on the tuple an `any` list becomes; tolist() would fail when templates differ in shape.
  validation {
    condition = try(alltrue([
      for r in var.rules : can(regex("^[a-z][a-z0-9-]{0,62}$", r.name)) && can(tostring(r.image)) && can(keys(r.template))
    ]), false)
    error_message = "rules must be a list; each rule needs name (lowercase letters, digits, hyphens; starts with a letter), image (a glob string) and template (an object)."
  }

  validation {
    condition     = try(alltrue([for r in var.rules : contains(["auto", "require", "off", "repair"], try(r.streaming, "auto"))]), false)
    error_message = "A rule's streaming must be auto, require, off or repair."
  }

  validation {
    condition     = try(length(distinct([for r in var.rules : r.name])) == length(var.rules), false)
    error_message = "Rule names must be unique (they are part of the push idempotency key)."
  }
}

variable "policy" {
  type = object({
    allowed_repositories         = optional(list(string))
    allowed_regions              = optional(list(string))
    allowed_machine_types        = optional(list(string))
    max_task_count               = optional(number)
    max_parallelism              = optional(number)
    max_run_duration_seconds     = optional(number)
    allow_non_streaming_fallback = optional(bool)
  })
  description = "What a request may ask for (config `policy`). Lists are globs: repositories over HOST/PATH (us-central1-docker.pkg.dev/my-project/apps/**), regions (us-*), machine types (e2-*). Unset fields keep streamgate's defaults, which allow everything. Required unless config_file is set."
  default     = null

  validation {
    condition = var.policy == null ? true : alltrue([
      for list in [var.policy.allowed_repositories, var.policy.allowed_regions, var.policy.allowed_machine_types] :
      list == null ? true : length(list) > 0
    ])
    error_message = "policy lists must not be empty: an empty allowed_repositories, allowed_regions or allowed_machine_types would reject every request. Leave a field out to allow everything."
  }

  validation {
    condition = var.policy == null ? true : alltrue([
      for r in coalesce(var.policy.allowed_regions, ["*"]) : can(regex("^[a-z0-9*?-]+$", r))
    ])
    error_message = "policy.allowed_regions entries must be regions or region globs such as us-central1 or europe-*."
  }

  validation {
    condition = var.policy == null ? true : alltrue([
      for n in [var.policy.max_task_count, var.policy.max_parallelism, var.policy.max_run_duration_seconds] :
      n == null ? true : (n >= 1 && floor(n) == n)
    ])
    error_message = "policy.max_task_count, max_parallelism and max_run_duration_seconds must be whole numbers >= 1."
  }
}

variable "batch_regions" {
  type        = list(string)
  description = "Regions where Batch runs; null keeps streamgate's built-in list."
  default     = null

  validation {
    condition     = var.batch_regions == null ? true : (length(var.batch_regions) > 0 && alltrue([for r in var.batch_regions : can(regex("^[a-z]+-[a-z]+[0-9]+$", r))]))
    error_message = "batch_regions must be null or a non-empty list of regions like us-central1."
  }
}

variable "multi_regions" {
  type = map(object({
    region_prefixes = list(string)
    default_region  = string
  }))
  description = "Which regions each Artifact Registry multi-region contains, and its default job region; null keeps streamgate's defaults (us, europe, asia)."
  default     = null

  validation {
    condition = var.multi_regions == null ? true : alltrue([
      for name, m in var.multi_regions :
      can(regex("^[a-z]+$", name)) && length(m.region_prefixes) > 0 && can(regex("^[a-z]+-[a-z]+[0-9]+$", m.default_region))
    ])
    error_message = "multi_regions keys must be multi-region names such as us, europe or asia, each with region_prefixes and a default_region like us-central1."
  }
}

variable "platform" {
  type        = string
  description = "Platform picked from multi-platform images: os/architecture[/variant]."
  default     = "linux/amd64"

  validation {
    condition     = can(regex("^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$", var.platform))
    error_message = "platform must look like linux/amd64 or linux/arm64/v8."
  }
}

variable "job_defaults" {
  type        = any
  description = "Config `defaults`: values applied to every job unless the request or rule sets them (see streamgate.config.json's schema)."
  default     = {}
}

variable "webhook_tolerance_seconds" {
  type        = number
  description = "Maximum age of a webhook signature timestamp."
  default     = 300

  validation {
    condition     = var.webhook_tolerance_seconds >= 30 && var.webhook_tolerance_seconds <= 3600
    error_message = "webhook_tolerance_seconds must be between 30 and 3600."
  }
}

variable "webhook_max_body_bytes" {
  type        = number
  description = "Largest webhook request body accepted."
  default     = 65536

  validation {
    condition     = var.webhook_max_body_bytes >= 1024 && var.webhook_max_body_bytes <= 1048576
    error_message = "webhook_max_body_bytes must be between 1 KiB and 1 MiB."
  }
}

variable "publish_state_changes" {
  type        = bool
  description = "Also publish dev.streamgate.job.state_changed.v1 for non-terminal Batch states (config events.stateChanged)."
  default     = false
}

variable "push_unwrapped" {
  type        = bool
  description = "true: the push subscriptions deliver unwrapped (no_wrapper with write_metadata): the message data is the request body, the metadata and attributes are headers. The functions read both forms; see docs/deploy.md, \"Unwrapped push\"."
  default     = false
}

# ---- Monitoring (monitoring.tf, dashboard.tf, alerts.tf) ----

variable "alert_notification_channels" {
  type        = list(string)
  description = "Notification channels the alert policies notify, as ids: projects/PROJECT/notificationChannels/ID (gcloud beta monitoring channels list). Empty: incidents only show in Cloud Monitoring."
  default     = []

  validation {
    condition     = alltrue([for c in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "Each alert_notification_channels entry must be a channel id such as projects/my-project/notificationChannels/1234567890."
  }
}

variable "refusal_alert_ratio" {
  type        = number
  description = "Alert when refusals exceed this share of the requests decided (launched or refused) in 10 minutes, e.g. 0.2 for 20%."
  default     = 0.5

  validation {
    condition     = var.refusal_alert_ratio > 0 && var.refusal_alert_ratio < 1
    error_message = "refusal_alert_ratio must be between 0 and 1 (exclusive), e.g. 0.2 for 20%."
  }
}

variable "refusal_alert_min_refusals" {
  type        = number
  description = "The refusal rate alert also needs at least this many refusals in the 10 minutes, so that one refusal in a quiet hour does not alert."
  default     = 5

  validation {
    condition     = var.refusal_alert_min_refusals >= 1 && floor(var.refusal_alert_min_refusals) == var.refusal_alert_min_refusals
    error_message = "refusal_alert_min_refusals must be a whole number >= 1."
  }
}

variable "function_5xx_alert_threshold" {
  type        = number
  description = "Alert when one function answers more than this many 5xx in 5 minutes. 0: any 5xx (transient failures included: they answer 500 so that Pub/Sub redelivers)."
  default     = 0

  validation {
    condition     = var.function_5xx_alert_threshold >= 0 && floor(var.function_5xx_alert_threshold) == var.function_5xx_alert_threshold
    error_message = "function_5xx_alert_threshold must be a whole number >= 0."
  }
}

variable "repair_repositories" {
  type = list(object({
    location      = string
    repository_id = string
    project       = optional(string)
  }))
  description = "Artifact Registry repositories where streaming mode \"repair\" may push repaired images (roles/artifactregistry.writer on each, for the functions that launch jobs). Empty: mode repair never writes and runs as auto, with the warning REPAIR_NOT_PERMITTED."
  default     = []

  validation {
    condition     = alltrue([for r in var.repair_repositories : can(regex("^[a-z]+(-[a-z]+[0-9]*)?$", r.location)) && can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", r.repository_id))])
    error_message = "Each repair_repositories entry needs a location such as us-central1 (or a multi-region such as us) and a repository_id of lowercase letters, digits and hyphens."
  }
}
