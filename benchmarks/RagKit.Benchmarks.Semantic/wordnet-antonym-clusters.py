# Writes src/RagKit/Caching/Matching/Antonyms.WordNetClusters.txt from Debian's wordnet-base files (apt-get install wordnet-base):
#   python3 benchmarks/RagKit.Benchmarks.Semantic/wordnet-antonym-clusters.py src/RagKit/Caching/Matching/Antonyms.WordNetClusters.txt [also] [semcor] [troponyms]
# WordNet organizes adjectives in clusters: a head synset with an antonym head ({loud} / {soft}), and satellites that are
# "similar to" a head ({noisy, blaring, ...} to {loud}; {quiet, hushed, ...} to {soft}). Indirect antonymy: every word
# of one cluster is an antonym of every word of the other ("loud" / "quiet", "warm" / "cold" via {cold}'s satellites).
# Stored per word rather than per pair (the pairs would be about 100,000): a word lists the antonym clusters it belongs to,
# +k on one side of pair k and -k on the other; two words are antonyms when one has +k and the other -k.
# With "also", a head's "also see" heads join its cluster. Only words that are mainly adjectives take part.
import re,sys,collections
syn={}
vsyn={}
for line in open('/usr/share/wordnet/data.verb',encoding='latin-1'):
    if line.startswith('  '): continue
    parts=line.split(' | ')[0].split()
    off=parts[0]; wc=int(parts[3],16)
    words=[re.sub(r'\(.*\)$','',parts[4+2*i]).lower() for i in range(wc)]
    i=4+2*wc; pc=int(parts[i]); i+=1
    vsyn[off]=(words,[tuple(parts[i+4*k:i+4*k+4]) for k in range(pc)])
for line in open('/usr/share/wordnet/data.adj',encoding='latin-1'):
    if line.startswith('  '): continue
    parts=line.split(' | ')[0].split()
    off=parts[0]; wc=int(parts[3],16)
    words=[re.sub(r'\(.*\)$','',parts[4+2*i]).lower() for i in range(wc)]
    i=4+2*wc; pc=int(parts[i]); i+=1
    ptrs=[]
    for k in range(pc):
        ptrs.append(tuple(parts[i:i+4])); i+=4
    syn[off]=(words,ptrs,parts[2])
also='also' in sys.argv[2:]
def cluster(h):
    ks={h}
    for sym,o,p,_ in syn[h][1]:
        if sym=='&' and o in syn: ks.add(o)
        if also and sym=='^' and p in 'as' and o in syn: ks.add(o)
    return ks
pairs=set()
for off,(words,ptrs,ss) in syn.items():
    if ss!='a': continue
    for sym,o,p,_ in ptrs:
        if sym=='!' and p in 'as' and o in syn and syn[o][2]=='a':
            pairs.add(tuple(sorted((off,o))))
# Only words that are mainly adjectives: at least as many adjective senses as noun or verb senses ("quiet", "cheap";
# not "like", a verb more often, nor "light", a noun more often).
senses={}
for pos in ('noun','verb','adj'):
    for line in open(f'/usr/share/wordnet/index.{pos}',encoding='latin-1'):
        if line.startswith('  '): continue
        p=line.split(); senses[(p[0],pos)]=int(p[2])
# Where SemCor tagged the word at all (cntlist.rev), "mainly" is by how often each part of speech was tagged ("mandatory":
# one adjective sense tagged, its two noun senses never); otherwise by the number of senses.
tagged=collections.Counter()
if 'semcor' in sys.argv[2:]:
    POS={'1':'noun','2':'verb','3':'adj','5':'adj'}
    for line in open('/usr/share/wordnet/cntlist.rev',encoding='latin-1'):
        key,_,cnt=line.split()
        lemma,rest=key.split('%',1)
        if rest[0] in POS: tagged[(lemma,POS[rest[0]])]+=int(cnt)
def mainly(w,pos):
    t={o:tagged[(w,o)] for o in ('noun','verb','adj')}
    if sum(t.values())>0:
        return t[pos]>0 and all(t[pos]>=t[o] for o in t)
    a=senses.get((w,pos),0)
    return a>0 and all(a>=senses.get((w,o),0) for o in ('noun','verb','adj'))
def mainly_adjective(w): return mainly(w,'adj')
skip={'not','no','never','none','all','every','some','any','ever','always'}
ids=collections.defaultdict(set)
for k,(a,b) in enumerate(sorted(pairs),1):
    for side,h in ((k,a),(-k,b)):
        for s in cluster(h):
            for w in syn[s][0]:
                if re.fullmatch(r'[a-z]{3,}',w) and w not in skip and mainly_adjective(w): ids[w].add(side)
# Verbs: the two synsets of a direct antonym pair, every word of one against every word of the other ("expand" /
# "shrink" through {shrink, contract} ! {expand}), for words that are mainly verbs.
vpairs=set()
for off,(words,ptrs) in vsyn.items():
    for sym,o,p,_ in ptrs:
        if sym=='!' and p=='v' and o in vsyn: vpairs.add(tuple(sorted((off,o))))
# With "troponyms", the direct troponyms of each side join it ("reduce" is a way to "decrease", so it opposes "increase").
tropo='troponyms' in sys.argv[2:]
def vside(h):
    hs={h}
    if tropo:
        for sym,o,p,_ in vsyn[h][1]:
            if sym=='~' and p=='v' and o in vsyn: hs.add(o)
    return [w for x in hs for w in vsyn[x][0]]
for k,(a,b) in enumerate(sorted(vpairs),len(pairs)+1):
    for side,h in ((k,a),(-k,b)):
        for w in vside(h):
            if re.fullmatch(r'[a-z]{3,}',w) and w not in skip and mainly(w,'verb'): ids[w].add(side)
verb_words={w for w in ids if mainly(w,'verb')}
# A word on both sides of one pair (two senses) is no evidence for that pair.
for w,s in ids.items():
    for k in [k for k in s if -k in s]: s.discard(k); s.discard(-k)
irr=collections.defaultdict(set)
for line in open('/usr/share/wordnet/adj.exc'):
    p=line.split()
    if len(p)>=2 and re.fullmatch(r'[a-z]+',p[0]): irr[p[1]].add(p[0])
V='aeiou'
def grades(w):
    forms=set(irr[w])
    if forms: return forms
    if w.endswith('e'): return {w+'r',w+'st'}
    if w.endswith('y') and len(w)>1 and w[-2] not in V: return {w[:-1]+'ier',w[:-1]+'iest'}
    return {w+'er',w+'est'}
vexc=collections.defaultdict(set)
for line in open('/usr/share/wordnet/verb.exc'):
    p=line.split()
    if len(p)>=2 and re.fullmatch(r'[a-z]+',p[0]): vexc[p[1]].add(p[0])
def verb_forms(w):
    forms=set(vexc[w])
    forms.add(w+'es' if re.search(r'(s|x|z|ch|sh)$',w) else (w[:-1]+'ies' if w.endswith('y') and w[-2] not in V else w+'s'))
    if not any(f.endswith('ing') for f in forms):
        forms.add(w[:-1]+'ing' if w.endswith('e') and not w.endswith('ee') else w+'ing')
    if not any(f.endswith('ed') for f in vexc[w]) and not vexc[w]:
        forms.add(w+'d' if w.endswith('e') else (w[:-1]+'ied' if w.endswith('y') and w[-2] not in V else w+'ed'))
    return forms
out=collections.defaultdict(set)
for w,s in ids.items():
    if not s: continue
    out[w]|=s
    if w in verb_words:
        for g in verb_forms(w):
            if g not in ids: out[g]|=s
        continue
    if len(w)<=7:  # comparatives of short adjectives (louder, quietest); long ones take more / most
        for g in grades(w):
            if g not in ids: out[g]|=s
with open(sys.argv[1],'w') as f:
    f.write('# WordNet 3.0 antonym clusters: adjective heads with their satellites, ' + ('"also see" heads joined, ' if also else '') + 'verb synsets' + (', parts of speech by SemCor counts' if tagged else '') + ('; verb troponyms joined' if tropo else '') + '; generated by\n')
    f.write('# benchmarks/RagKit.Benchmarks.Semantic/wordnet-antonym-clusters.py): "word k,-k,..."; words with +k and -k are antonyms.\n')
    for w in sorted(out):
        f.write(w+' '+','.join(str(x) for x in sorted(out[w]))+'\n')
print(len(pairs),'adjective head pairs',len(vpairs),'verb synset pairs',len(out),'words')
