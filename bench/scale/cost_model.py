#!/usr/bin/env python3
"""The cost model of docs/SCALE.md: per-iteration compute, communication and memory of distributed iALS
(replicated factors and the 2-D layout) for the three scenarios, from the per-core rates measured on the
development machine (R_d, R_s, R_g below). python3 bench/scale/cost_model.py prints the tables' figures."""
import math
C=64; MEM=512e9
Rd,Rs,Rg=16.2e9,4.77e9,40e9   # per core, measured (Rg from BENCHMARKS sgemm)
s=3
nets={'25G':25e9/8,'100G':100e9/8}
sc={'MPD':(1e6,2.26e6,66e6),'B':(100e6,10e6,10e9),'C':(500e6,100e6,100e9)}
def flops(U,I,N,f):
    return 2*(s+1)*(U+I)*f*f, 8*(s+1)*N*f, (U+I)*f*f
def rep(U,I,N,f,P,partial_gram=False):
    D,S,G=flops(U,I,N,f)
    tc=(D/Rd+S/Rs)/(C*P) + (G/(C*Rg)/(P if partial_gram else 1))
    vol=(P-1)/P*(U+I)*f*4
    mem=(U+I)*f*4 + 2*N/P*8 + (U+I)/P*8
    return tc,vol,mem
def twod(U,I,N,f,P):
    best=None
    for Pr in range(1,P+1):
        if P%Pr: continue
        Pc=P//Pr
        v=2*(s+1)*4*f*((U/Pr)*(Pc-1)/Pc+(I/Pc)*(Pr-1)/Pr)
        if best is None or v<best[0]: best=(v,Pr,Pc)
    v,Pr,Pc=best
    D,S,G=flops(U,I,N,f)
    tc=(D/Rd+S/Rs+G/Rg)/(C*P)
    mem=(U/Pr+I/Pc)*f*4 + 3*(U+I)/P*f*4 + max(U/Pr,I/Pc)*f*4 + 2*N/P*8 + (U/Pr+I/Pc)*8
    return tc,v,mem,Pr,Pc
for name,(U,I,N) in sc.items():
    for f in (64,128):
        D,S,G=flops(U,I,N,f)
        print(f"\n{name} f={f}: dense {D/1e12:.3f} TF sparse {S/1e12:.3f} TF gram {G/1e12:.3f} TF; 1-core s {D/Rd+S/Rs+G/Rg:.0f}; node s {(D/Rd+S/Rs)/C+G/(C*Rg):.1f}")
        for P in (1,2,4,8,16,32,64,128,256,1024):
            tc,vol,mem=rep(U,I,N,f,P)
            t25=vol/nets['25G']; t100=vol/nets['100G']
            tcp,_,_=rep(U,I,N,f,P,True)
            line=f"  REP P={P:5d} mem {mem/1e9:7.1f} GB comp {tc:8.2f} (pgram {tcp:8.2f}) vol {vol/1e9:7.1f} GB c25 {t25:7.2f} c100 {t100:7.2f} it25 {tcp+t25:8.2f} it100 {tcp+t100:8.2f}"
            if name=='C' or P>1:
                tc2,v2,m2,Pr,Pc=twod(U,I,N,f,P)
                line+=f" | 2D {Pr}x{Pc} mem {m2/1e9:6.1f} vol {v2/1e9:6.1f} c25 {v2/nets['25G']:7.2f} c100 {v2/nets['100G']:6.2f} comp {tc2:7.2f}"
            print(line)

print("\nMARKDOWN")
rows=[('MPD','rep',64,1),('MPD','rep',64,4),('MPD','rep',128,1),('MPD','rep',128,4),
      ('B','rep',64,1),('B','rep',64,16),('B','rep',64,64),('B','2d',64,64),
      ('B','rep',128,1),('B','rep',128,16),('B','rep',128,64),('B','2d',128,64),
      ('C','rep',64,8),('C','rep',64,64),('C','2d',64,64),('C','2d',64,256),
      ('C','rep',128,16),('C','rep',128,64),('C','2d',128,64),('C','2d',128,256)]
for name,d,f,P in rows:
    U,I,N=sc[name]
    if d=='rep':
        tc,v,m=rep(U,I,N,f,P); lay='replicated'
    else:
        tc,v,m,Pr,Pc=twod(U,I,N,f,P); lay=f'2-D {Pr}×{Pc}'
    t25=v/nets['25G']; t100=v/nets['100G']
    fit='' if m<=0.85*MEM else (' (over)' )
    print(f"| {name} | {f} | {lay} | {P} | {m/1e9:,.1f}{fit} | {tc:,.2f} | {v/1e9:,.1f} | {t25:,.2f} | {t100:,.2f} | {tc+t25:,.1f} | {tc+t100:,.1f} | {15*(tc+t100)/60:,.1f} |")
