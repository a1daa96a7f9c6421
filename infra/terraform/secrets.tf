# The webhook HMAC key(s). Terraform creates the secret but never its value, so no key ends up in
# the Terraform state; add versions with `gcloud secrets versions add` (see docs/deploy.md, "Rotating webhook keys").
resource "google_secret_manager_secret" "webhook_keys" {
  project   = var.project_id
  secret_id = var.webhook_secret_id
  labels    = { app = "streamgate" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
