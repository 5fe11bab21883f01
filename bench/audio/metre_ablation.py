#!/usr/bin/env python3
"""Tempo Accuracy1 (within 4%) of the prior's pick and of the metrical-level model's choice, per subset, from the
<id>.tempo.tsv details of one segue run: metre_ablation.py WORK (reads WORK/labels and WORK/out/segue/wav.d)."""
import csv, glob, os, sys
work=sys.argv[1]
man={r['id']:r for r in csv.DictReader(open(work+'/labels/manifest.csv'))}
res={}
for id_,r in man.items():
    p=f'{work}/out/segue/wav.d/{id_}.tempo.tsv'
    truth=float(open(f'{work}/labels/{id_}.tempo').read().split()[0])
    rows=[l.split('\t') for l in open(p).read().splitlines()[1:]] if os.path.exists(p) else []
    if not rows: prior=chosen=0.0
    else:
        bpm=[float(x[0]) for x in rows]
        if len(rows)==3: prior=bpm[1]
        elif len(rows)==2: prior=bpm[0] if bpm[0]*2>300 else bpm[1]
        else: prior=bpm[0]
        chosen=bpm[[int(x[1]) for x in rows].index(1)]
    ok=lambda b: abs(b-truth)<=0.04*truth
    s=res.setdefault(r['subset'],[0,0,0])
    s[0]+=1; s[1]+=ok(prior); s[2]+=ok(chosen)
for k,(n,a,b) in sorted(res.items()): print(f'{k}: {n} files, Acc1 prior pick {a/n:.3f}, metre model {b/n:.3f}')
