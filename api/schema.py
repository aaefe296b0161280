"""drf-spectacular's security schemes for harborreg's authentication classes (its own
match DRF's exact classes only). Imported by ApiConfig.ready()."""

from drf_spectacular.authentication import BasicScheme, SessionScheme


class HarborBasicScheme(BasicScheme):
    target_class = "api.authentication.BasicAuthentication"


class HarborSessionScheme(SessionScheme):
    target_class = "api.authentication.SessionAuthentication"
