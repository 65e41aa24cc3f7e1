# The reference for cnn_against_mlp_test.cpp: the same LeNet-5 and 784-72-72-10 MLP, data, Adam
# (lr 1e-3), batches of 64 and 12 epochs in PyTorch. Run with Debian's python3-torch:
#   /usr/bin/python3 tests/workflow/reference/cnn_against_mlp.py
import gzip, numpy as np, torch, torch.nn as nn, sys
torch.set_num_threads(1)
def imgs(p): 
    d=gzip.open(p).read(); return np.frombuffer(d,np.uint8,offset=16).reshape(-1,1,28,28).astype(np.float32)/255
def labs(p): return np.frombuffer(gzip.open(p).read(),np.uint8,offset=8).astype(np.int64)
D=sys.argv[1] if len(sys.argv) > 1 else '../shared/data/mnist/'
xtr=torch.tensor(imgs(D+'train-images-idx3-ubyte.gz')[:3000]); ytr=torch.tensor(labs(D+'train-labels-idx1-ubyte.gz')[:3000])
xte=torch.tensor(imgs(D+'t10k-images-idx3-ubyte.gz')[:2000]); yte=torch.tensor(labs(D+'t10k-labels-idx1-ubyte.gz')[:2000])
def lenet(): return nn.Sequential(nn.Conv2d(1,6,5,padding=2),nn.ReLU(),nn.MaxPool2d(2),nn.Conv2d(6,16,5),nn.ReLU(),nn.MaxPool2d(2),nn.Flatten(),nn.Linear(400,120),nn.ReLU(),nn.Linear(120,84),nn.ReLU(),nn.Linear(84,10))
def mlp(): return nn.Sequential(nn.Flatten(),nn.Linear(784,72),nn.ReLU(),nn.Linear(72,72),nn.ReLU(),nn.Linear(72,10))
for seed in range(1,4):
    res=[]
    for make in (lenet,mlp):
        torch.manual_seed(seed); m=make(); opt=torch.optim.Adam(m.parameters(),1e-3)
        for ep in range(12):
            perm=torch.randperm(3000)
            for i in range(0,3000,64):
                idx=perm[i:i+64]; opt.zero_grad(); l=nn.functional.cross_entropy(m(xtr[idx]),ytr[idx]); l.backward(); opt.step()
        with torch.no_grad(): res.append((m(xte).argmax(1)!=yte).float().mean().item())
    print(seed, res, flush=True)
