# The Node.js runtime the functions are built and run on, checked against Google's support schedule
# (runtimes.json: the one copy of the dates, with its source).
#
# Why a precondition and not the variable's validation block: before Terraform 1.9 a validation
# condition may refer to nothing but its own variable, so it cannot read the schedule, and this
# module supports Terraform >= 1.5. The functions' preconditions (functions.tf) refuse the runtime
# at plan time instead, before anything is created or updated.

variable "runtime" {
  type        = string
  description = "Runtime of the functions (Cloud Run functions runtime id). Must be in runtimes.json and not decommissioned when you plan."
  default     = "nodejs24"

  validation {
    condition     = can(regex("^nodejs[0-9]+$", var.runtime))
    error_message = "runtime must be a Node.js runtime id such as nodejs24 (the functions are Node.js code)."
  }
}

locals {
  runtime_schedule = jsondecode(file("${path.module}/runtimes.json"))

  # A decommission date is the first day Google refuses the runtime. plantimestamp() is unknown
  # during `terraform validate`, so these are checked by `plan`.
  runtimes_accepted = sort([
    for id, dates in local.runtime_schedule.runtimes : id
    if timecmp(plantimestamp(), "${dates.decommission}T00:00:00Z") < 0
  ])

  # "" when var.runtime can be deployed; else why not (the message of the functions' precondition).
  runtime_refusal = (
    contains(local.runtimes_accepted, var.runtime) ? "" :
    !contains(keys(local.runtime_schedule.runtimes), var.runtime) ?
    "runtime ${var.runtime} is not in runtimes.json (Google's schedule, ${local.runtime_schedule.source}); deployable now: ${join(", ", local.runtimes_accepted)}." :
    "runtime ${var.runtime} was decommissioned by Google on ${local.runtime_schedule.runtimes[var.runtime].decommission}: no function can be created or updated on it. Deployable now: ${join(", ", local.runtimes_accepted)} (${local.runtime_schedule.source})."
  )
}

# A warning, not an error: a deprecated runtime still deploys, but Google no longer patches it.
check "runtime_not_deprecated" {
  assert {
    condition = !contains(keys(local.runtime_schedule.runtimes), var.runtime) ? true : timecmp(
      plantimestamp(), "${local.runtime_schedule.runtimes[var.runtime].deprecation}T00:00:00Z"
    ) < 0
    error_message = "runtime ${var.runtime} is deprecated: Google no longer patches it, and it is decommissioned (no longer deployable) from ${try(local.runtime_schedule.runtimes[var.runtime].decommission, "?")}. Move to a newer runtime (${local.runtime_schedule.source})."
  }
}
