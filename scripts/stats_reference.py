import numpy as np, scipy, statsmodels
from scipy import stats, special
from statsmodels.stats.multitest import multipletests
import pingouin as pg
np.set_printoptions(precision=17)
print("scipy", scipy.__version__, "statsmodels", statsmodels.__version__, "numpy", np.__version__, "pingouin", pg.__version__)
A1=[0.812,0.797,0.825,0.804,0.819]
B1=[0.781,0.795,0.776,0.790,0.788,0.772,0.799]
A2=[12.3,15.1,9.8,14.4,11.0,13.7,10.5,16.2]
B2=[10.1,11.9,9.5,12.2,10.8]
S3=[3.1,2.7,100.0,2.9,3.3,-50.0,3.0,2.8,3.2,3.05,2.95]
TA=[1,2,2,3,3,3,4]
TB=[2,3,3,5,1,2]
def r(x): return repr(float(x))
print("== summary")
for name,x in [("A1",A1),("A2",A2),("S3",S3)]:
    x=np.array(x); n=len(x)
    m=x.mean(); sd=x.std(ddof=1); sem=stats.sem(x)
    for lvl in (0.95,0.9):
        lo,hi=stats.t.interval(lvl, n-1, loc=m, scale=sem)
        print(name, "level",lvl,"ci",r(lo),r(hi), "tq", r(stats.t.ppf((1+lvl)/2,n-1)))
    print(name,"n",n,"mean",r(m),"sd",r(sd),"sem",r(sem),"median",r(np.median(x)),"iqm",r(stats.trim_mean(x,0.25)),"min",r(x.min()),"max",r(x.max()))
print("== welch")
for na,nb,a,b in [("A1","B1",A1,B1),("A2","B2",A2,B2),("B2","A1",B2,A1)]:
    res=stats.ttest_ind(a,b,equal_var=False)
    print(na,nb,"t",r(res.statistic),"p",r(res.pvalue),"df",r(res.df))
P1a=[0.91,0.88,0.93,0.90,0.87,0.92]; P1b=[0.89,0.87,0.90,0.90,0.85,0.91]
P2a=[10.2,11.5,9.9,12.1,10.0,11.1,10.7,9.5]; P2b=[10.9,11.4,10.8,12.6,10.4,11.9,11.3,10.1]
print("== paired")
for nm,a,b in [("P1",P1a,P1b),("P2",P2a,P2b)]:
    res=stats.ttest_rel(a,b)
    print(nm,"t",r(res.statistic),"p",r(res.pvalue),"df",r(res.df))
print("== holm")
for p in [[0.01,0.04,0.03,0.005,0.20],[0.02,0.02,0.5,0.001,0.049,0.9,0.03],[0.3,0.6,0.4]]:
    print(p, [r(v) for v in multipletests(p,method='holm')[1]])
print("== hedges (exact J = Gamma(df/2)/(sqrt(df/2)Gamma((df-1)/2)), df=na+nb-2; d from pingouin cohen)")
for na,nb,a,b in [("A1","B1",A1,B1),("A2","B2",A2,B2),("B2","A1",B2,A1)]:
    a=np.array(a); b=np.array(b); n1=len(a); n2=len(b); df=n1+n2-2
    sp=np.sqrt(((n1-1)*a.var(ddof=1)+(n2-1)*b.var(ddof=1))/df)
    d=(a.mean()-b.mean())/sp
    dpg=pg.compute_effsize(a,b,eftype='cohen',paired=False)
    J=special.gamma(df/2)/(np.sqrt(df/2)*special.gamma((df-1)/2))
    print(na,nb,"d",r(d),"d_pingouin",r(dpg),"J",r(J),"g",r(d*J),"pingouin_hedges(approx)",r(pg.compute_effsize(a,b,eftype='hedges')))
print("== prob superiority")
for na,nb,a,b in [("A1","B1",A1,B1),("TA","TB",TA,TB),("TB","TA",TB,TA),("A2","B2",A2,B2)]:
    U=stats.mannwhitneyu(a,b,alternative='two-sided').statistic
    print(na,nb,"U",r(U),"ps",r(U/(len(a)*len(b))))
print("== nan omit")
x=np.array([1.0,np.nan,2.0,4.0,np.nan,8.0])
print("mean",r(np.nanmean(x)),"median",r(np.nanmedian(x)))
