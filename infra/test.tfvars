# Throwaway-stack values used by check.sh (plans) and apply-emulator.sh; pass `-var emulator=...`
# explicitly.
# Nothing here is a secret: the issuer and audience are never contacted.
domain_name                 = "whaleray.example.com"
jwt_issuer                  = "https://issuer.whaleray.example.com"
jwt_audience                = ["whaleray-local"]
github_app_id               = "123456"
github_client_id            = "Iv1.whaleraytestclient"
deletion_protection         = false
secret_recovery_window_days = 0
