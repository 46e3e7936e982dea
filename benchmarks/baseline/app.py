"""The baseline of the cold-init benchmark: the smallest useful Powertools HTTP API function."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/hello")
def hello():
    return {"message": "hello"}


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
