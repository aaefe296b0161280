"""drf-spectacular's security schemes for harborreg's authentication classes (its own
match DRF's exact classes only). Imported by ApiConfig.ready()."""

from drf_spectacular.authentication import BasicScheme, SessionScheme


class HarborBasicScheme(BasicScheme):
    target_class = "api.authentication.BasicAuthentication"


class HarborSessionScheme(SessionScheme):
    target_class = "api.authentication.SessionAuthentication"


class RobotBasicScheme(BasicScheme):
    """Robot accounts are the same basicAuth scheme (a robot$ name and its secret): no
    scheme or requirement of their own."""

    target_class = "api.authentication.RobotAuthentication"
    match_subclasses = True
    name: list = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []
