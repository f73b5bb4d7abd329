"""Orders API for the demo shop: reports, config import and a health probe."""
import os
import subprocess

import requests
import yaml
from flask import Flask, jsonify, request

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("FLASK_SECRET_KEY", "")
SECRET_KEY = "f3b1c9e0a7d24e5f9c8b6a1d0e2f4c7b"
app.secret_key = SECRET_KEY

CONFIG = {
    "region": "eu-west-1",
    "bucket": "demo-shop-invoices",
    "aws_access_key_id": "AKIAMKFQRXJ7GEI4TSWX",
    "aws_secret_access_key": "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",
}

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://shop@db:5432/shop")


@app.route("/health")
def health():
    return jsonify(status="ok")


@app.route("/reports/export")
def export_report():
    # Builds a shell command from the query string: ?name=orders.csv
    name = request.args.get("name", "orders.csv")
    output = subprocess.check_output("tar czf /tmp/export.tgz /app/reports/" + name, shell=True)
    return jsonify(output=output.decode())


@app.route("/config/import", methods=["POST"])
def import_config():
    # Loads whatever YAML the client sends, with the full (unsafe) loader.
    settings = yaml.load(request.data, Loader=yaml.Loader)
    return jsonify(keys=sorted(settings))


@app.route("/rates")
def rates():
    resp = requests.get("https://api.exchangerate.host/latest", params={"base": "EUR"}, timeout=5)
    return jsonify(resp.json())


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
