"""Images in object storage: listed and read through fsspec, here against a local S3 server (moto)."""

import json
import shutil

import pytest

from conftest import SAMPLES
from digits import archive
from digits.cli import main
from digits.locations import list_images, read_list

moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")


@pytest.fixture(scope="module")
def bucket():
    """A local S3 server on 127.0.0.1 with bucket ``scans``: three samples and a broken PNG under ``forms/``."""
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    patch = pytest.MonkeyPatch()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "FSSPEC_S3_ENDPOINT_URL": endpoint}.items():
        patch.setenv(name, value)
    import fsspec.config

    # fsspec reads FSSPEC_S3_* when imported; worker processes import it afresh and read the variable.
    patch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="scans")
    for name in ("five-28x28.png", "seven-canvas.png", "blank-canvas.png"):
        client.put_object(Bucket="scans", Key=f"forms/{name}", Body=(SAMPLES / name).read_bytes())
    client.put_object(Bucket="scans", Key="forms/broken.png", Body=b"\x89PNG\r\n\x1a\nbroken")
    client.put_object(Bucket="scans", Key="forms/readme.txt", Body=b"not an image")
    yield "s3://scans"
    patch.undo()
    server.stop()


def test_a_prefix_lists_its_images_and_a_glob_its_matches(bucket):
    assert list_images([f"{bucket}/forms/"]) == [f"{bucket}/forms/{name}" for name in
                                                 ("blank-canvas.png", "broken.png", "five-28x28.png",
                                                  "seven-canvas.png")]
    assert list_images([f"{bucket}/forms/s*.png"]) == [f"{bucket}/forms/seven-canvas.png"]
    [unmatched] = list_images([f"{bucket}/forms/*.gif"])
    assert unmatched.error == f"{bucket}/forms/*.gif: no object matches this pattern"


def test_batch_reads_s3_as_predict_reads_the_same_files(bucket, tmp_path, capsys):
    code = main(["batch", f"{bucket}/forms/", f"{bucket}/forms/missing.png", "--out", str(tmp_path / "out"),
                 "--engine", "processes", "--workers", "1"])
    assert code == 1
    capsys.readouterr()
    rows = {row["path"]: archive.prediction_of(row).to_dict()
            for row in archive.read_answers(tmp_path / "out").to_pylist()}
    local = tmp_path / "local"
    local.mkdir()
    for name in ("five-28x28.png", "seven-canvas.png", "blank-canvas.png"):
        shutil.copy(SAMPLES / name, local / name)
    main(["predict", "--json", "--workers", "1", str(local)])
    for line in capsys.readouterr().out.splitlines():
        expected = json.loads(line)
        name = expected["path"].rsplit("/", 1)[-1]
        assert rows[f"{bucket}/forms/{name}"] == {**expected, "path": f"{bucket}/forms/{name}"}
    assert rows[f"{bucket}/forms/broken.png"]["error"].startswith(f"{bucket}/forms/broken.png: not an image")
    assert rows[f"{bucket}/forms/missing.png"]["error"] == f"{bucket}/forms/missing.png: no such file"


def test_a_list_file_skips_blank_lines_and_comments(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("# forms of March\ns3://scans/a.png\n\n  b.png  \n")
    assert read_list(listing) == ["s3://scans/a.png", "b.png"]


def test_an_unknown_protocol_is_a_value_error_naming_the_url():
    with pytest.raises(ValueError, match="^nosuch://x/: Protocol not known"):
        list_images(["nosuch://x/"])
