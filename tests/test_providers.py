"""Provider metadata and input checks (no network): what the form shows and what it refuses."""

import json

import pytest

from endpoints.providers import PROVIDERS, get_provider
from endpoints.providers.base import SecretKind, UrlMode

SERVICE_ACCOUNT_KEY = {
    "type": "service_account",
    "project_id": "my-project",
    "private_key_id": "0123abcd",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEcanarykey\n-----END PRIVATE KEY-----\n",
    "client_email": "replicator@my-project.iam.gserviceaccount.com",
    "client_id": "1234567890",
}
QUAY_SECRET = {"account_name": "jack", "docker_cli_password": "q6NVazikNqIf4coiQ", "oauth2_token": "YmQZ1"}
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"

EXPECTED = {
    # key: (label, url mode)
    "harbor": ("Harbor", UrlMode.FREE),
    "docker-hub": ("Docker Hub", UrlMode.FIXED),
    "docker-registry": ("Docker Registry", UrlMode.FREE),
    "aws-ecr": ("AWS ECR", UrlMode.SUGGESTIONS),
    "azure-acr": ("Azure ACR", UrlMode.FREE),
    "ali-acr": ("Alibaba Cloud ACR", UrlMode.SUGGESTIONS),
    "google-gcr": ("Google GCR / Artifact Registry", UrlMode.SUGGESTIONS),
    "huawei-SWR": ("Huawei SWR", UrlMode.FREE),
    "artifact-hub": ("Artifact Hub", UrlMode.FIXED),
    "gitlab": ("GitLab", UrlMode.FREE),
    "quay": ("Quay", UrlMode.FREE),
    "jfrog-artifactory": ("JFrog Artifactory", UrlMode.FREE),
    "tencent-tcr": ("Tencent TCR", UrlMode.FREE),
    "volcengine-cr": ("VolcEngine CR", UrlMode.FREE),
    "github-ghcr": ("GitHub GHCR", UrlMode.FIXED),
    "dtr": ("DTR / Mirantis Secure Registry", UrlMode.FREE),
}

# One valid input per provider: (url, access_id, typed secret).
VALID_INPUT = {
    "harbor": ("https://harbor.example.com:443", "robot$replicator", "s3cret"),
    "docker-hub": ("https://hub.docker.com", "jack", "dckr_pat_abc"),
    "docker-registry": ("https://registry.example.com:5000", "jack", "pw"),
    "aws-ecr": ("https://api.ecr.eu-west-1.amazonaws.com", AWS_KEY_ID, "wJalrXUtnFEMI/K7MDENG"),
    "azure-acr": ("https://myregistry.azurecr.io", "myregistry", "pw"),
    "ali-acr": ("https://registry.cn-hangzhou.aliyuncs.com", "LTAI5tExample", "secret"),
    "google-gcr": ("https://us-central1-docker.pkg.dev", "_json_key", json.dumps(SERVICE_ACCOUNT_KEY)),
    "huawei-SWR": ("https://swr.cn-north-4.myhuaweicloud.com", "cn-north-4@ABCDEFGHIJKLMNOPQRST", "key"),
    "artifact-hub": ("https://artifacthub.io", "key-id", "key-secret"),
    "gitlab": ("https://registry.gitlab.com", "jack", "glpat-abc"),
    "quay": ("https://quay.io", "json_file", json.dumps(QUAY_SECRET)),
    "jfrog-artifactory": ("https://mycompany.jfrog.io", "jack", "token"),
    "tencent-tcr": ("https://acme.tencentcloudcr.com", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "SecretKey"),
    "volcengine-cr": ("https://acme-cn-beijing.cr.volces.com", "AKLTYmQ5ZjEzZTdmNzI5NDM0ZThi", "SK=="),
    "github-ghcr": ("https://ghcr.io", "octocat", "ghp_abc"),
    "dtr": ("https://dtr.example.com", "jack", "6a1f3c2e-4b5d-4e8f-9a0b-1c2d3e4f5a6b"),
}


def clean(key: str, url: str = "", access_id: str = "", secret: str = "", secret_given: bool | None = None):
    given = bool(secret) if secret_given is None else secret_given
    return get_provider(key).clean(url, access_id, secret, given)


def all_help(key: str) -> str:
    p = get_provider(key)
    return " ".join([p.url_help, p.access_id_help, p.access_secret_help, *p.notes])


# --- metadata ---


def test_it_registers_every_provider_of_the_spec():
    assert {key: (p.label, p.url_mode) for key, p in PROVIDERS.items()} == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_it_declares_help_for_every_provider(key):
    p = get_provider(key)
    for text in (p.url_help, p.access_id_help, p.access_secret_help):
        assert len(text) > 30, f"{key}: help text too short: {text!r}"
    assert "https://" in p.url_placeholder
    # A placeholder must not look like a value already typed: a pattern or an example.
    assert p.url_mode == "fixed" or "<" in p.url_placeholder or p.url_placeholder.startswith("e.g. "), (
        p.url_placeholder)
    assert p.access_secret_placeholder
    metadata = json.loads(json.dumps(p.form_metadata()))
    assert metadata["key"] == key
    assert metadata["url_help"] == p.url_help


@pytest.mark.parametrize(
    ("key", "url"), [("docker-hub", "https://hub.docker.com"), ("artifact-hub", "https://artifacthub.io"),
                     ("github-ghcr", "https://ghcr.io")]
)
def test_it_fixes_the_url(key, url):
    p = get_provider(key)
    assert p.default_url == url
    assert [s.url for s in p.url_suggestions()] == [url]


def test_it_fixes_the_access_id_and_json_secret_for_gcr_and_quay():
    fixed = {key: (p.fixed_access_id, p.secret_kind) for key, p in PROVIDERS.items() if p.fixed_access_id}
    assert fixed == {"google-gcr": ("_json_key", SecretKind.JSON), "quay": ("json_file", SecretKind.JSON)}


@pytest.mark.parametrize("key", sorted(VALID_INPUT))
def test_it_accepts_valid_input(key):
    url, access_id, secret = VALID_INPUT[key]
    assert clean(key, url, access_id, secret) == {}


@pytest.mark.parametrize(
    "key",
    [
        "harbor",
        "docker-hub",
        "docker-registry",
        "azure-acr",
        "artifact-hub",
        "google-gcr",
        "quay",
        "jfrog-artifactory",
        "gitlab",
        "github-ghcr",
        "dtr",
    ],
)
def test_it_allows_anonymous_access(key):
    url = VALID_INPUT[key][0]
    assert clean(key, url) == {}


# --- URL suggestions ---


def test_it_suggests_every_aws_region():
    suggestions = {s.label: s.url for s in get_provider("aws-ecr").url_suggestions()}
    assert len(suggestions) == 38
    assert suggestions["us-east-1"] == "https://api.ecr.us-east-1.amazonaws.com"
    assert suggestions["eu-west-1"] == "https://api.ecr.eu-west-1.amazonaws.com"
    assert suggestions["cn-north-1"] == "https://api.ecr.cn-north-1.amazonaws.com.cn"
    assert suggestions["cn-northwest-1"] == "https://api.ecr.cn-northwest-1.amazonaws.com.cn"
    assert suggestions["us-gov-west-1"] == "https://api.ecr.us-gov-west-1.amazonaws.com"


def test_it_suggests_alibaba_regions_and_variants():
    suggestions = {s.label: s.url for s in get_provider("ali-acr").url_suggestions()}
    assert len(suggestions) == 23 * 5
    assert suggestions["cn-hangzhou"] == "https://registry.cn-hangzhou.aliyuncs.com"
    assert suggestions["cn-hangzhou (VPC)"] == "https://registry-vpc.cn-hangzhou.aliyuncs.com"
    assert suggestions["cn-hangzhou (internal)"] == "https://registry-internal.cn-hangzhou.aliyuncs.com"
    assert (
        suggestions["cn-hangzhou Enterprise Edition (replace instanceName)"]
        == "https://instanceName-registry.cn-hangzhou.cr.aliyuncs.com"
    )
    assert (
        suggestions["me-east-1 Enterprise Edition VPC (replace instanceName)"]
        == "https://instanceName-registry-vpc.me-east-1.cr.aliyuncs.com"
    )


def test_it_suggests_gcr_and_artifact_registry():
    urls = [s.url for s in get_provider("google-gcr").url_suggestions()]
    assert urls[:4] == ["https://gcr.io", "https://us.gcr.io", "https://eu.gcr.io", "https://asia.gcr.io"]
    for region in ("us-central1", "us-east1", "europe-west1", "asia-east1", "australia-southeast1"):
        assert f"https://{region}-docker.pkg.dev" in urls
    assert len(urls) > 30


# --- help text carries every note of the seed documentation ---


@pytest.mark.parametrize(
    ("key", "phrases"),
    [
        (
            "aws-ecr",
            [
                "access keys, not a username and password",
                "storage permission",
                "ecr:GetAuthorizationToken",
                "default AWS credentials chain",
                "instance role",
            ],
        ),
        (
            "google-gcr",
            [
                "entire JSON key generated in the service account",
                "start with the project ID",
                "_json_key",
                "anonymous",
            ],
        ),
        (
            "quay",
            [
                "Recaptcha",
                "organizations",
                "Red Hat Quay",
                "fully supported",
                "v3.2.0",
                "Project Quay",
                "not been tested",
                "schema 1",
                "json_file",
                # The seed's "keep Access ID and Access Secret empty", for a fixed Access ID:
                "without authorization, leave the Access Secret empty",
                "oauth2_token is optional",
                "create organizations automatically",
                "account_name is your login name",
                "robot account is not recommended",
                "docker_cli_password",
                "Quay UI",
            ],
        ),
        (
            "harbor",
            [
                "https://harbor_instance_address:443",
                "must exist and be running",
                "write permission on the corresponding project",
                "robot$name",
            ],
        ),
        ("docker-hub", ["Docker ID", "personal access token", "Docker Registry", "https://index.docker.io"]),
        ("ali-acr", ["AccessKey ID", "Not the docker login", "instanceName"]),
        ("huawei-SWR", ["<region>@<AK>", "login key"]),
        (
            "gitlab",
            [
                "https://registry.gitlab.com",
                "not the GitLab web URL",
                "read_registry",
                "write_registry",
                "personal access token",
            ],
        ),
        ("artifact-hub", ["replication source", "Helm charts", "Optional"]),
        ("jfrog-artifactory", ["base URL", "/artifactory/api/docker/<repo>"]),
        ("azure-acr", ["azurecr.io", "service principal"]),
        ("tencent-tcr", ["https://<instance name>.tencentcloudcr.com", "SecretId", "AKID", "IKID",
                         "SecretKey", "not the docker login", "tcr:DescribeInstances",
                         "tcr:CreateInstanceToken", "ccr.ccs.tencentyun.com"]),
        ("volcengine-cr", ["https://<instance name>-<region>.cr.volces.com", "Access Key ID", "AKLT",
                           "Secret Access Key", "temporary docker login", "cr:GetAuthorizationToken",
                           ".cr.ivolces.com", "cn-"]),
        (
            "github-ghcr",
            [
                "GitHub user name",
                "personal access token (classic)",
                "read:packages",
                "write:packages",
                "fine-grained",
                "single sign-on",
                "no catalog",
                "exact repository names",
            ],
        ),
        ("dtr", ["docker login", "access token", "/api/v0", "MKE", "Harbor provider", "MSR 4"]),
    ],
)
def test_it_shows_the_documented_notes(key, phrases):
    text = all_help(key)
    for phrase in phrases:
        assert phrase in text, f"{key}: {phrase!r} missing from help"


# --- AWS ECR ---


def test_it_rejects_an_unknown_aws_region_and_suggests_the_closest():
    errors = clean("aws-ecr", "https://api.ecr.us-est-1.amazonaws.com")
    assert list(errors) == ["url"]
    assert "“us-est-1” is not an AWS region" in errors["url"][0]
    assert "us-west-1" in errors["url"][0] or "us-east-1" in errors["url"][0]


def test_it_rejects_a_non_ecr_url():
    errors = clean("aws-ecr", "https://ecr.eu-west-1.amazonaws.com")
    assert "https://api.ecr.eu-west-1.amazonaws.com" in errors["url"][0]
    assert "dkr.ecr" in errors["url"][0]


def test_it_asks_for_the_china_domain_in_china_regions():
    errors = clean("aws-ecr", "https://api.ecr.cn-north-1.amazonaws.com")
    assert "https://api.ecr.cn-north-1.amazonaws.com.cn" in errors["url"][0]
    errors = clean("aws-ecr", "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn")
    assert "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com." in errors["url"][0]


def test_it_accepts_account_and_fips_ecr_urls():
    assert clean("aws-ecr", "https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn") == {}
    assert clean("aws-ecr", "https://api.ecr-fips.us-gov-west-1.amazonaws.com") == {}
    assert clean("aws-ecr", "https://123456789012.dkr.ecr-fips.us-east-1.amazonaws.com") == {}


def test_it_rejects_a_short_account_id():
    errors = clean("aws-ecr", "https://12345.dkr.ecr.us-east-1.amazonaws.com")
    assert "12 digits, not 5" in errors["url"][0]


def test_it_rejects_http_and_paths_for_ecr():
    assert "https://api.ecr.us-east-1" in clean("aws-ecr", "http://api.ecr.us-east-1.amazonaws.com")["url"][0]
    errors = clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com/my-repo")
    assert "“/my-repo”" in errors["url"][0]


def test_it_needs_an_access_key_id_with_an_aws_secret():
    errors = clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", "", "wJalrXUtnFEMI")
    assert list(errors) == ["access_id"]
    assert "access key ID" in errors["access_id"][0]
    assert "default AWS credentials chain" in errors["access_id"][0]


def test_it_uses_the_default_aws_chain_without_keys():
    assert clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", "", "", secret_given=False) == {}


@pytest.mark.parametrize(
    "access_id",
    ["jack", "akiaiosfodnn7example", "AKIAIOSFODNN7EXAMPL", "ABCDIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"],
)
def test_it_rejects_what_is_not_an_access_key_id(access_id):
    errors = clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", access_id, "secret")
    assert list(errors) == ["access_id"]
    assert "starts with AKIA" in errors["access_id"][0]
    assert access_id not in errors["access_id"][0]


def test_it_needs_the_secret_access_key_with_a_key_id():
    errors = clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", AWS_KEY_ID, "", secret_given=False)
    assert list(errors) == ["access_secret"]
    assert "secret access key" in errors["access_secret"][0]
    assert (
        clean("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", AWS_KEY_ID, "", secret_given=True) == {}
    )


# --- Google GCR / Artifact Registry ---

GCR_URL = "https://gcr.io"


def test_it_reports_where_the_gcr_json_is_broken():
    errors = clean("google-gcr", GCR_URL, "_json_key", '{"type": "service_account",\n "project_id" "x"}')
    assert list(errors) == ["access_secret"]
    assert "not valid JSON" in errors["access_secret"][0]
    assert "line 2, column" in errors["access_secret"][0]


def test_it_requires_a_json_object_for_gcr():
    errors = clean("google-gcr", GCR_URL, "_json_key", '"just a string"')
    assert "JSON object" in errors["access_secret"][0]


def test_it_requires_a_service_account_key():
    key = dict(SERVICE_ACCOUNT_KEY, type="authorized_user")
    errors = clean("google-gcr", GCR_URL, "_json_key", json.dumps(key))
    assert "“authorized_user”, not “service_account”" in errors["access_secret"][0]


def test_it_names_the_missing_service_account_fields():
    key = {k: v for k, v in SERVICE_ACCOUNT_KEY.items() if k not in ("client_email", "project_id")}
    errors = clean("google-gcr", GCR_URL, "_json_key", json.dumps(key))
    assert "client_email, project_id" in errors["access_secret"][0]
    assert "private_key" not in errors["access_secret"][0].split(":")[0]


def test_it_never_echoes_the_json_key():
    key = dict(SERVICE_ACCOUNT_KEY, client_email="")
    text = json.dumps(key)
    errors = clean("google-gcr", GCR_URL, "_json_key", text)
    assert "MIIEcanarykey" not in " ".join(errors["access_secret"])
    errors = clean("google-gcr", GCR_URL, "_json_key", text[:-5] + "canary-tail")
    assert "canary-tail" not in " ".join(errors["access_secret"])


def test_it_does_not_recheck_a_stored_gcr_key():
    assert clean("google-gcr", GCR_URL, "_json_key", "", secret_given=True) == {}


def test_it_requires_json_key_as_gcr_access_id():
    errors = clean("google-gcr", GCR_URL, "my-service-account", json.dumps(SERVICE_ACCOUNT_KEY))
    assert list(errors) == ["access_id"]
    assert "_json_key" in errors["access_id"][0]


@pytest.mark.parametrize(
    "url",
    [
        "https://gcr.io",
        "https://k8s.gcr.io",
        "https://eu.gcr.io",
        "https://europe-west1-docker.pkg.dev",
        "https://us-docker.pkg.dev",
    ],
)
def test_it_accepts_google_registry_hosts(url):
    assert clean("google-gcr", url) == {}


def test_it_rejects_a_non_google_host():
    errors = clean("google-gcr", "https://registry.example.com")
    assert "registry.example.com is not a Google registry host" in errors["url"][0]
    assert "-docker.pkg.dev" in errors["url"][0]


def test_it_keeps_the_project_id_out_of_the_gcr_url():
    errors = clean("google-gcr", "https://gcr.io/my-project")
    assert "“/my-project”" in errors["url"][0]
    assert "project ID goes in the replication rule's namespace" in errors["url"][0]


# --- Quay ---


def test_it_names_missing_quay_fields():
    errors = clean("quay", "https://quay.io", "json_file", json.dumps({"oauth2_token": "t"}))
    assert list(errors) == ["access_secret"]
    assert "account_name and docker_cli_password" in errors["access_secret"][0]


def test_it_rejects_an_empty_quay_password():
    errors = clean(
        "quay", "https://quay.io", "json_file", json.dumps(dict(QUAY_SECRET, docker_cli_password=""))
    )
    assert "docker_cli_password" in errors["access_secret"][0]
    assert "account_name" not in errors["access_secret"][0]


def test_it_names_unknown_quay_keys_as_likely_typos():
    secret = {"acount_name": "jack", "account_name": "jack", "docker_cli_password": "pw"}
    errors = clean("quay", "https://quay.io", "json_file", json.dumps(secret))
    assert errors == {
        "access_secret": ["Unknown key “acount_name” in the Quay JSON secret: did you mean “account_name”?"]
    }


def test_it_requires_a_string_oauth2_token():
    errors = clean("quay", "https://quay.io", "json_file", json.dumps(dict(QUAY_SECRET, oauth2_token=42)))
    assert "oauth2_token must be a text value" in errors["access_secret"][0]


def test_it_explains_comments_copied_from_the_documentation():
    secret = '{ "oauth2_token": "YmQZ1", // optional\n "account_name": "jack", "docker_cli_password": "q6" }'
    errors = clean("quay", "https://quay.io", "json_file", secret)
    assert "not valid JSON" in errors["access_secret"][0]
    assert "“// optional”" in errors["access_secret"][0]


def test_it_requires_json_file_as_quay_access_id():
    errors = clean("quay", "https://quay.io", "jack", json.dumps(QUAY_SECRET))
    assert list(errors) == ["access_id"]
    assert "json_file" in errors["access_id"][0]


def test_it_accepts_quay_without_oauth2_token():
    secret = {k: v for k, v in QUAY_SECRET.items() if k != "oauth2_token"}
    assert clean("quay", "https://quay.example.com", "json_file", json.dumps(secret)) == {}


# --- JFrog Artifactory ---


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.jfrog.io/artifactory/api/docker/docker-local",
        "https://mycompany.jfrog.io/artifactory",
    ],
)
def test_it_asks_for_the_artifactory_base_url(url):
    errors = clean("jfrog-artifactory", url)
    assert list(errors) == ["url"]
    assert "Enter the Artifactory base URL (https://mycompany.jfrog.io)" in errors["url"][0]
    assert "repository is chosen in the replication rule" in errors["url"][0]


# --- Alibaba Cloud ACR ---


def test_it_asks_to_replace_the_instance_name_placeholder():
    errors = clean("ali-acr", "https://instancename-registry.cn-hangzhou.cr.aliyuncs.com", "LTAI5t", "s")
    assert list(errors) == ["url"]
    assert "Replace “instanceName”" in errors["url"][0]
    assert "Enterprise Edition instance" in errors["url"][0]


def test_it_accepts_an_enterprise_edition_instance():
    assert clean("ali-acr", "https://acme-registry-vpc.cn-shanghai.cr.aliyuncs.com", "LTAI5t", "s") == {}


def test_it_redirects_the_acr_api_host_to_the_registry_host():
    errors = clean("ali-acr", "https://cr.cn-beijing.aliyuncs.com", "LTAI5t", "s")
    assert "https://registry.cn-beijing.aliyuncs.com" in errors["url"][0]


def test_it_requires_an_aliyuncs_host():
    errors = clean("ali-acr", "https://registry.example.com", "LTAI5t", "s")
    assert ".aliyuncs.com" in errors["url"][0]


def test_it_rejects_a_docker_login_user_for_acr():
    errors = clean("ali-acr", "https://registry.cn-hangzhou.aliyuncs.com", "jack@example.com", "s")
    assert list(errors) == ["access_id"]
    assert "AccessKey ID" in errors["access_id"][0]


def test_it_requires_an_accesskey_for_acr():
    url = "https://registry.cn-hangzhou.aliyuncs.com"
    assert "AccessKey ID" in clean("ali-acr", url)["access_id"][0]
    assert "AccessKey ID" in clean("ali-acr", url, "", "s")["access_id"][0]
    assert "AccessKey Secret" in clean("ali-acr", url, "LTAI5t", "")["access_secret"][0]


# --- fixed URLs, Huawei, generic providers ---


@pytest.mark.parametrize(
    ("key", "url", "fixed"),
    [
        ("docker-hub", "https://registry-1.docker.io", "https://hub.docker.com"),
        ("artifact-hub", "https://artifacthub.example.com", "https://artifacthub.io"),
        ("github-ghcr", "https://ghcr.io/octocat/app", "https://ghcr.io"),
    ],
)
def test_it_says_the_url_is_fixed(key, url, fixed):
    errors = clean(key, url)
    assert list(errors) == ["url"]
    assert f"URL is fixed: enter {fixed}" in errors["url"][0]


def test_it_sends_docker_hub_org_tokens_to_docker_registry():
    errors = clean("docker-hub", "https://hub.docker.com", "acme", "dckr_oat_abcdef")
    assert list(errors) == ["access_secret"]
    assert "Docker Registry provider with https://index.docker.io" in errors["access_secret"][0]


@pytest.mark.parametrize("access_id", ["ABCDEFGHIJ", "cn-north-4", "jack@example.com", "cn-north-4@"])
def test_it_requires_the_swr_login_user_form(access_id):
    errors = clean("huawei-SWR", "https://swr.cn-north-4.myhuaweicloud.com", access_id, "key")
    assert list(errors) == ["access_id"]
    assert "<region>@<AK>" in errors["access_id"][0]


def test_it_matches_the_swr_login_region_to_the_url():
    errors = clean("huawei-SWR", "https://swr.cn-north-4.myhuaweicloud.com", "ap-southeast-1@ABCDEF", "key")
    assert "ap-southeast-1" in errors["access_id"][0]
    assert "cn-north-4" in errors["access_id"][0]


@pytest.mark.parametrize(
    "key",
    [
        "harbor",
        "azure-acr",
        "gitlab",
        "docker-registry",
        "docker-hub",
        "jfrog-artifactory",
        "huawei-SWR",
        "artifact-hub",
        "github-ghcr",
        "dtr",
    ],
)
def test_it_needs_an_access_id_with_a_secret(key):
    url = VALID_INPUT[key][0]
    for typed, given in (("pw", True), ("", True)):
        errors = clean(key, url, "", typed, secret_given=given)
        assert list(errors) == ["access_id"]
        assert errors["access_id"][0].startswith("Enter the Access ID that goes with this secret")


@pytest.mark.parametrize(
    ("key", "url", "expected"),
    [
        ("harbor", "https://harbor.example.com/harbor/projects/3", "enter the Harbor address only"),
        ("docker-registry", "https://hub.docker.com", "https://index.docker.io"),
        ("docker-registry", "https://registry.example.com/v2/_catalog", "the check adds /v2/ itself"),
        ("gitlab", "https://gitlab.com", "https://registry.gitlab.com"),
        ("azure-acr", "https://portal.azure.com", "login server"),
        ("quay", "https://quay.io/v2/acme/app", "repositories are chosen in replication rules"),
        ("dtr", "https://dtr.example.com/api/v0/repositories", "enter the DTR address only"),
        ("dtr", "https://dtr.example.com/v2/jack/app", "the check adds /v2/ itself"),
    ],
)
def test_it_explains_common_url_mistakes(key, url, expected):
    errors = clean(key, url)
    assert list(errors) == ["url"]
    assert expected in errors["url"][0]


def test_it_keeps_a_registry_path_prefix():
    assert clean("docker-registry", "https://registry.example.com/mirror") == {}


# --- GitHub GHCR, DTR ---


def test_it_refuses_a_fine_grained_github_token_for_ghcr():
    errors = clean("github-ghcr", "https://ghcr.io", "octocat", "github_pat_11AAAAAAA0abc")
    assert list(errors) == ["access_secret"]
    assert "personal access token (classic)" in errors["access_secret"][0]
    assert "github_pat_11AAAAAAA0abc" not in errors["access_secret"][0]


def test_it_asks_for_the_github_user_name_not_the_e_mail():
    errors = clean("github-ghcr", "https://ghcr.io", "octocat@example.com", "ghp_abc")
    assert list(errors) == ["access_id"]
    assert "not the e-mail address" in errors["access_id"][0]


# --- Tencent TCR ---

TCR_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://ccr.ccs.tencentyun.com", "Personal Edition"),
    ("https://tcr.tencentcloudapi.com", "the TCR API"),
    ("https://registry.example.com", "https://<instance name>.tencentcloudcr.com"),
    ("https://acme.tencentcloudcr.com.example.org", "https://<instance name>.tencentcloudcr.com"),
    ("https://acme.ap-guangzhou.tencentcloudcr.com", "https://<instance name>.tencentcloudcr.com"),
    ("http://acme.tencentcloudcr.com", "https://acme.tencentcloudcr.com"),
    ("https://acme.tencentcloudcr.com/library/nginx", "Remove “/library/nginx”"),
    ("https://-acme.tencentcloudcr.com", "instance name"),
])
def test_it_explains_what_a_tcr_url_must_be(url, expected):
    errors = clean("tencent-tcr", url, TCR_ID, "key")
    assert list(errors) == ["url"]
    assert expected in errors["url"][0]


@pytest.mark.parametrize("access_id", ["100012345678", "jack@example.com", "akidlowercase",
                                       "AKIA1234567890EXAMPLE"])
def test_it_wants_a_secret_id_not_a_docker_login_for_tcr(access_id):
    errors = clean("tencent-tcr", "https://acme.tencentcloudcr.com", access_id, "key")
    assert list(errors) == ["access_id"]
    assert "SecretId" in errors["access_id"][0] and "AKID" in errors["access_id"][0]


def test_it_accepts_an_international_secret_id_for_tcr():
    intl_id = "IKIDq9ZxAbCdEfGhIjKlMnOpQrStUvWxYz01"
    assert clean("tencent-tcr", "https://acme.tencentcloudcr.com", intl_id, "k") == {}


def test_it_requires_both_halves_of_a_tencent_api_key():
    url = "https://acme.tencentcloudcr.com"
    assert "SecretId and SecretKey" in clean("tencent-tcr", url)["access_id"][0]
    assert "SecretId" in clean("tencent-tcr", url, "", "k")["access_id"][0]
    assert "SecretKey" in clean("tencent-tcr", url, TCR_ID, "")["access_secret"][0]
    assert clean("tencent-tcr", url, TCR_ID, "", secret_given=True) == {}


# --- VolcEngine CR ---

VOLC_AK = "AKLTYmQ5ZjEzZTdmNzI5NDM0ZThi"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://acme-cn-beijing.cr.ivolces.com", "VPC"),
    ("https://acme-ap-southeast-1.cr.volces.com", "“ap-southeast-1”"),
    ("https://acme.cr.volces.com", "https://<instance name>-<region>.cr.volces.com"),
    ("https://acme-cn-beijing.cr.volces.com.example.org", "https://<instance name>-<region>.cr.volces.com"),
    ("https://open.volcengineapi.com", "the VolcEngine OpenAPI"),
    ("http://acme-cn-beijing.cr.volces.com", "https://acme-cn-beijing.cr.volces.com"),
    ("https://acme-cn-beijing.cr.volces.com/ns/app", "Remove “/ns/app”"),
    ("https://ab-cn-beijing.cr.volces.com", "3 to 30 characters"),
    ("https://1acme-cn-beijing.cr.volces.com", "start with a letter"),
])
def test_it_explains_what_a_volcengine_url_must_be(url, expected):
    errors = clean("volcengine-cr", url, VOLC_AK, "sk")
    assert list(errors) == ["url"]
    assert expected in errors["url"][0]


@pytest.mark.parametrize("url", [
    "https://acme-cn-beijing.cr.volces.com",
    "https://my-reg-cn-shanghai.cr.volces.com",
    "https://cn-beijing-cn-shanghai.cr.volces.com",
    "https://acme-cn-guangzhou.cr.volces.com:443",
])
def test_it_accepts_volcengine_instance_hosts(url):
    assert clean("volcengine-cr", url, VOLC_AK, "sk") == {}


@pytest.mark.parametrize(("access_id", "expected"), [
    ("acme@2100123456", "temporary docker login"),
    ("jack", "starts with AKLT"),
    ("AKTPZXhhbXBsZQ", "temporary (STS) key"),
])
def test_it_wants_an_access_key_id_not_a_docker_login_for_volcengine(access_id, expected):
    errors = clean("volcengine-cr", "https://acme-cn-beijing.cr.volces.com", access_id, "sk")
    assert list(errors) == ["access_id"]
    assert expected in errors["access_id"][0]


def test_it_requires_both_halves_of_a_volcengine_access_key():
    url = "https://acme-cn-beijing.cr.volces.com"
    assert "Access Key ID and Secret Access Key" in clean("volcengine-cr", url)["access_id"][0]
    assert "Access Key ID" in clean("volcengine-cr", url, "", "sk")["access_id"][0]
    assert "Secret Access Key" in clean("volcengine-cr", url, VOLC_AK, "")["access_secret"][0]


def test_neither_cloud_is_a_proxy_cache_provider():
    from endpoints.providers import proxy_cache_provider_keys

    assert {"tencent-tcr", "volcengine-cr"}.isdisjoint(proxy_cache_provider_keys())
