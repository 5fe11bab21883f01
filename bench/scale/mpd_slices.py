#!/usr/bin/env python3
"""Writes MPD JSON slices at scale for the import benchmark (issue 16): the real playlists of mpd-subset's CSV
conversion, tiled COPIES times under new pids, 1,000 playlists a slice, in the full MPD layout (pos, artist_uri,
album_uri, album_name, duration_ms, modified_at, ... as the real slices carry them; indented like them).

The playlists and tracks are real; the tiling and the fields mpd-subset lacks (artist/album uris and names,
durations, modified_at: derived from a hash of the track) are SYNTHETIC. For import speed only, never for quality.

  /usr/bin/python3 bench/scale/mpd_slices.py --copies 8 --out /tmp/mpd-slices   # 34,056 playlists, 34 slices
"""
import argparse, csv, gzip, hashlib, json, os, sys
from collections import defaultdict

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/mpd-subset")
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    playlists = list(csv.DictReader(open(os.path.join(args.data, "playlists.csv"), newline="", encoding="utf-8")))
    tracks = defaultdict(list)
    with gzip.open(os.path.join(args.data, "playlist_tracks.csv.gz"), "rt", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            tracks[row["pid_global"]].append(row)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "SYNTHETIC.md"), "w") as f:
        f.write(__doc__)

    def track_json(row):
        h = int(hashlib.md5(row["track_uri"].encode()).hexdigest()[:12], 16)
        return {"pos": int(row["pos"]), "artist_name": row["artist_name"], "track_uri": row["track_uri"],
                "artist_uri": "spotify:artist:%022x" % (h % 16**22), "track_name": row["track_name"],
                "album_uri": "spotify:album:%022x" % ((h * 31) % 16**22), "duration_ms": 120000 + h % 240000,
                "album_name": row["track_name"] + " (album)"}

    out, pid, rows = [], 0, 0
    def flush():
        start = (pid - 1) // 1000 * 1000  # the slice of the last playlist written
        name = "mpd.slice.%d-%d.json" % (start, start + 999)
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump({"info": {"generated_on": "synthetic (bench/scale/mpd_slices.py)", "slice": "%d-%d" % (start, start + 999),
                                "version": "v1"}, "playlists": out}, f, indent=4, ensure_ascii=False)
        out.clear()
    for copy in range(args.copies):
        for p in playlists:
            ts = [track_json(r) for r in tracks[p["pid_global"]]]
            out.append({"name": p["name"], "collaborative": "false", "pid": pid, "modified_at": 1500000000 + pid,
                        "num_tracks": len(ts), "num_albums": len({t["album_uri"] for t in ts}),
                        "num_followers": int(p["num_followers"]), "tracks": ts, "num_edits": int(p["num_edits"]),
                        "duration_ms": sum(t["duration_ms"] for t in ts), "num_artists": int(p["num_artists"])})
            if p["description"]:
                out[-1]["description"] = p["description"]
            pid += 1
            rows += len(ts)
            if len(out) == 1000:
                flush()
    if out:
        flush()
    print("wrote %d playlists, %d rows into %s" % (pid, rows, args.out), file=sys.stderr)

main()
