"""AWS ECR (`aws-ecr`)."""

from endpoints.providers.base import Provider


class AwsEcr(Provider):
    key = "aws-ecr"
    label = "AWS ECR"
