#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/), checked in.

Seeds are small, valid inputs of each surface: a few real lines of the shared
data sets (Last.fm HetRec, the MPD subset, Spotify tracks; attribution in their
READMEs), the formats' test fixtures, and stores and model files written by the
segue binary itself (a model of every non-deep kind). Run once after a format
changes:

    /usr/bin/python3 fuzz/make_corpus.py --segue build/segue [--shared ../shared/data]
"""
import argparse
import gzip
import io
import json
import math
import os
import struct
import subprocess
import tempfile
import wave

SEP = "\n%%\n"


def put(root, target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def head(path, lines):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return "".join(next(f) for _ in range(lines))


def gz(text):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as f:
        f.write(text.encode())
    return buffer.getvalue()


EVENTS = ("user_id,item_id,weight,timestamp,event,session,position,device\n"
          "u1,t1,3,1600000000,play,s1,0,phone\nu1,t2,1,2020-09-13T12:30:00Z,skip,s1,1,phone\n"
          "u2,t2,2,2020-09-14,like,s2,0,web\nu3,t3,1.5,1600000300,play,,,\n")
SKIPS_HEADER = ("session_id,session_position,session_length,track_id_clean,skip_1,skip_2,skip_3,not_skipped,"
                "context_switch,no_pause_before_play,short_pause_before_play,long_pause_before_play,"
                "hist_user_behavior_n_seekfwd,hist_user_behavior_n_seekback,hist_user_behavior_is_shuffle,"
                "hour_of_day,date,premium,context_type,hist_user_behavior_reason_start,hist_user_behavior_reason_end\n")
SKIPS_LOG = SKIPS_HEADER + (
    "s1,1,3,t_a,false,false,false,true,0,0,0,0,0,0,true,16,2018-07-15,true,editorial_playlist,appload,trackdone\n"
    "s1,2,3,t_b,True,True,True,False,0,1,0,0,2,1,true,16,2018-07-15,true,editorial_playlist,trackdone,fwdbtn\n"
    "s2,1,2,t_c,1,1,0,0,1,0,0,1,0,0,0,23,2018-07-16,false,user_collection,clickrow,fwdbtn\n")
SKIPS_TF = ("track_id,duration,release_year,us_popularity_estimate,acousticness,beat_strength,bounciness,"
            "danceability,dyn_range_mean,energy,flatness,instrumentalness,key,liveness,loudness,mechanism,mode,"
            "organism,speechiness,tempo,time_signature,valence,acoustic_vector_0,acoustic_vector_1\n"
            "t_a,180.5,2018,99.5,0.5,0.4,0.3,0.6,8.1,0.75,0.9,0.0,5,0.1,-7.5,0.3,major,0.2,0.05,120.0,4,0.7,-0.1,0.2\n"
            "t_new,200,2017,90,0.1,0.2,0.3,0.4,7,0.25,0.8,0.1,2,0.2,-9,0.4,minor,0.1,0.04,98.5,3,0.2,0.1,0.3\n")
RECBOLE = ("user_id:token\titem_id:token\trating:float\ttimestamp:float\tdevice:token\n"
           "196\t242\t3\t881250949.0\tphone\n186\t302\t3\t891717742\t\n196\t377\t1\t878887116\tweb\n" + SEP +
           "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\tpopularity:float\n"
           "242\tKolya\t1996\tComedy\t0.25\n302\tL.A. Confidential\t1997\tCrime Film-Noir\t\n" + SEP +
           "user_id:token\tage:float\tgender:token\toccupation:token\n196\t49\tM\twriter\n186\t39\tF\texecutive\n")
ITEMS = ("item_id,artist,name,album,genre,year,tags,energy,danceability,tempo\n"
         "1,Queen,Bohemian Rhapsody,A Night at the Opera,rock,1975,rock|opera,0.4,0.3,72\n"
         "2,Queen,Radio Ga Ga,The Works,rock|pop,1984,pop,0.7,0.6,112\n"
         "t1,\"Björk\",Hyperballad,Post,electronic,1995,\"ambient|icelandic\",0.5,,\n"
         "t9,Miles Davis,So What,Kind of Blue,jazz,1959,,0.2,0.4,136.5\n")
USERS = "user_id,friends,country,age\n1,2|3,DE,31\n2,1,UK,\nu1,1|u2,FR,44.5\nu9,,US,19\n"
RECS = "user_id,item_id,rank\nu1,i1,1\nu1,i2,2\nu1,zz,3\nu2,i4,1\nu2,i4,2\nnobody,i1,1\n1,1,1\n"
SPECS = ["pop", "pop:decay_days=30", "ials:factors=128,reg=0.05,iterations=15", "bpr:factors=8,epochs=3",
         "ease:lambda=200", "itemknn:k=50,shrink=10", "userknn", "rp3beta:alpha=0.8,beta=0.3", "random:seed=7",
         "content:w_artist=2", "hybrid:epochs=10", "blend:cf=ials,weight=0.3",
         "blend:cf_spec=ials:factors=8;reg=0.1,weight=0.5", "mmr:base=itemknn,lambda=0.7", "featureknn",
         "title", " ials : factors = 16 ", "multvae:epochs=2"]


def wav(rate, channels, frames, width=2):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        data = bytearray()
        for n in range(frames):
            for c in range(channels):
                v = int(0.5 * math.sin(2 * math.pi * 440 * n / rate + c) * (2 ** (8 * width - 1) - 1))
                data += v.to_bytes(width, "little", signed=True) if width > 1 else bytes([(v + 128) & 0xFF])
        w.writeframes(bytes(data))
    return buffer.getvalue()


def store_bundle(store):
    meta_text = open(os.path.join(store, "meta.json")).read()
    parts = [meta_text.encode()]
    for entry in json.loads(meta_text)["arrays"]:
        parts.append(open(os.path.join(store, entry["file"]), "rb").read())
    return SEP.encode().join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segue", required=True)
    parser.add_argument("--segue-deep", help="a segue built with libtorch, for the deep models' seeds")
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))
    a = parser.parse_args()
    # Seeds are rewritten; regress-* files (inputs of crashes found and fixed) stay.
    for d, _, files in os.walk(a.out):
        for f in files:
            if not f.startswith("regress-"):
                os.remove(os.path.join(d, f))
    lastfm = os.path.join(a.shared, "lastfm-hetrec-2k")
    mpd = os.path.join(a.shared, "mpd-subset")

    put(a.out, "csv", "lastfm.dat", head(os.path.join(lastfm, "user_artists.dat"), 8))
    put(a.out, "csv", "quoted.csv", 'a,b,"c"\r\n1,"x, ""y""",2.5\r\n"multi\nline",-0,1e3\r\n')
    put(a.out, "csv", "bom.tsv.gz", gz("\ufeffuser\titem\n1\t2\n"))
    put(a.out, "import_csv", "events.csv", EVENTS)
    put(a.out, "import_csv", "events.csv.gz", gz(EVENTS))
    put(a.out, "import_csv", "minimal.tsv", "user_id\titem_id\n1\t2\n1\t3\n")
    names = ["user_artists.dat", "artists.dat", "user_friends.dat", "tags.dat", "user_taggedartists.dat"]
    put(a.out, "lastfm", "hetrec.txt", SEP.join(head(os.path.join(lastfm, n), 6) for n in names))
    slice_json = json.load(open(os.path.join(mpd, "json-sample", "mpd.slice.0-999.json")))
    slice_json["playlists"] = slice_json["playlists"][:2]
    for p in slice_json["playlists"]:
        p["tracks"] = p["tracks"][:4]
    put(a.out, "mpd_json", "slice.json", json.dumps(slice_json, indent=1))
    put(a.out, "mpd_json", "slice.json.gz", gz(json.dumps(slice_json)))
    put(a.out, "mpd_csv", "subset.txt", head(os.path.join(mpd, "playlists.csv"), 4) + SEP +
        head(os.path.join(mpd, "playlist_tracks.csv.gz"), 8))
    put(a.out, "spotify_skips", "log_and_tf.txt", SKIPS_LOG + SEP + SKIPS_TF)
    put(a.out, "spotify_skips", "log.txt", SKIPS_LOG)
    put(a.out, "tracks", "tracks.csv", head(os.path.join(a.shared, "spotify-tracks", "tracks.csv"), 6))
    put(a.out, "recbole", "ml.txt", RECBOLE)
    for k, t in enumerate(["1600000000", "-1", "2019-01-31", "2019-01-31T12:00:00Z", "2019-01-31 12:00:00+01:00",
                           "2020-02-29T23:59:60.125-05:30", "0099-12-31T00:00"]):
        put(a.out, "timestamp", "t%d" % k, t)
    put(a.out, "item_features", "items.csv", ITEMS)
    put(a.out, "item_features", "tracks.csv", "item_id," + head(os.path.join(a.shared, "spotify-tracks", "tracks.csv"), 4)
        .replace("\n", "\n_,", 3).rstrip(",_"))
    put(a.out, "user_features", "users.csv", USERS)
    put(a.out, "recs_file", "recs.csv", RECS)
    for k, spec in enumerate(SPECS):
        put(a.out, "spec", "s%02d" % k, spec)
    # fuzz_service_json posts an odd-length body to /v1/events, an even-length one to /v1/recommendations.
    def parity(text, odd):
        return text + " " if (len(text.encode()) % 2 == 1) != odd else text
    put(a.out, "service_json", "history", parity(json.dumps({"history": ["t1", {"item": "t4", "event": "skip"}], "n": 5,
                                                     "explain": True, "exclude": ["t2"]}), False))
    put(a.out, "service_json", "events", parity(json.dumps({"events": [{"user": "u1", "item": "t3", "event": "play"},
                                                                 {"user": "new", "item": "t5", "event": "skip",
                                                                  "impression": "0123456789abcdef:2"}]}), True))
    for k, q in enumerate([b"\x00u1?n=5&explain=true", b"\x01u2?hour=18", b"\x02u3?limit=3", b"\x03t4?n=3",
                           b"\x04?q=song%201&limit=5", b"\x05?limit=2", b"\x00nobody?n=1000&exclude_seen=false"]):
        put(a.out, "service_query", "q%d" % k, q)
    put(a.out, "audio", "mono8k.wav", wav(8000, 1, 400))
    put(a.out, "audio", "stereo22k.wav", wav(22050, 2, 300))
    put(a.out, "audio", "u8.wav", wav(11025, 1, 200, width=1))

    with tempfile.TemporaryDirectory() as tmp:
        def segue(*args):
            subprocess.run([a.segue, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines = ["user_id,item_id,weight,timestamp,event,session"]
        for u in range(12):
            for k in range(5):
                lines.append("u%d,%d,%d,%d,%s,s%d" % (u, (u * 3 + k * 2) % 10 + 1, 1 + (u + k) % 4,
                                                      1600000000 + u * 100 + k, "skip" if k == 4 else "play", u))
        events = os.path.join(tmp, "events.csv")
        open(events, "w").write("\n".join(lines) + "\n")
        items = os.path.join(tmp, "items.csv")
        open(items, "w").write("item_id,artist,genre,year,energy\n" + "".join(
            "%d,A%d,g%d,%d,%.2f\n" % (i, i % 3, i % 2, 1970 + 7 * i, i / 10) for i in range(1, 11)))
        names_csv = os.path.join(tmp, "names.csv")
        open(names_csv, "w").write("user_id,name\n" + "".join("u%d,mix %d\n" % (u, u % 3) for u in range(12)))
        store = os.path.join(tmp, "store")
        segue("import", "--format", "csv", "--input", events, "--out", store)
        put(a.out, "store", "events", store_bundle(store))
        hetrec = os.path.join(tmp, "hetrec")
        os.makedirs(hetrec)
        for n in names:
            open(os.path.join(hetrec, n), "w").write(head(os.path.join(lastfm, n), 12))
        segue("import", "--format", "lastfm", "--input", hetrec, "--out", store + "2", "--on-error", "skip")
        put(a.out, "store", "lastfm", store_bundle(store + "2"))
        for spec in ["pop", "random", "itemknn", "userknn", "rp3beta", "ease", "ials:factors=4,iterations=2",
                     "bpr:factors=4,epochs=2", "hybrid:factors=4,epochs=2", "content", "featureknn",
                     "blend:cf_spec=ials:factors=4;iterations=2", "mmr:base=itemknn", "title"]:
            out = os.path.join(tmp, "m.model")
            extra = ["--items", items] if spec.split(":")[0] in ("content", "featureknn", "blend", "hybrid") else []
            if spec == "title":
                extra = ["--user-names", names_csv]
            segue("train", "--train", events, "--model", spec, "--out", out, *extra)
            put(a.out, "model_file", spec.split(":")[0] + ".model", open(out, "rb").read())
        if a.segue_deep:
            # The deep models' files for tests/deep/model_file_mutation_test.cc (a torch build of segue; tiny
            # dimensions): Debian's libtorch headers do not compile with clang 14 in C++20, so no libFuzzer target.
            for spec in ["neumf:embedding=4,mlp=8-4,epochs=1", "multvae:hidden=8,embedding=4,epochs=1",
                         "multdae:hidden=8,embedding=4,epochs=1", "lightgcn:embedding=4,epochs=1",
                         "gru4rec:embedding=4,max_len=8,epochs=1", "sasrec:embedding=4,max_len=8,epochs=1"]:
                out = os.path.join(tmp, "d.model")
                subprocess.run([a.segue_deep, "train", "--train", events, "--model", spec, "--out", out],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                put(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"),
                    "deep_model_files", spec.split(":")[0] + ".model", open(out, "rb").read())
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(a.out) for f in fs)
    print("fuzz corpus: %d targets, %.1f KB in %s" % (len(os.listdir(a.out)), total / 1024, a.out))


if __name__ == "__main__":
    main()
