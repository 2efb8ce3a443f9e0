"""bench:onnx's models: ResNet-18, MobileNetV2 and an EfficientNet-style and a ConvNeXt-style net at full width, as
test/fixtures/onnx-archs/gen_archs.py writes them (narrowed there), exported by torch at 1x3x224x224 (opset 17, eval)
into OUT, each with its input and PyTorch's output and PyTorch's forward times (ms, torch.set_num_threads(t), medians)
in OUT/torch.json.  Run: python3 bench/torch_archs.py OUT ROUNDS"""
import json, os, sys, time
import numpy as np
import torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-archs'))
import gen_archs as A


class ResNet18(nn.Module):
    """torchvision's resnet18 (BasicBlock, [2, 2, 2, 2], 64-512 channels), 1000 classes."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False); s.bn1 = nn.BatchNorm2d(64); s.relu = nn.ReLU(inplace=True); s.maxpool = nn.MaxPool2d(3, 2, 1)
        L = []; c = 64
        for o, st in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
            L.append(A.BasicBlock(c, o, st)); c = o
        s.layers = nn.Sequential(*L); s.avgpool = nn.AdaptiveAvgPool2d(1); s.fc = nn.Linear(512, 1000)
    def forward(s, x):
        return s.fc(torch.flatten(s.avgpool(s.layers(s.maxpool(s.relu(s.bn1(s.conv1(x)))))), 1))


class MobileNetV2(nn.Module):
    """torchvision's mobilenet_v2 (width 1.0), 1000 classes."""
    def __init__(s):
        super().__init__()
        L = [nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))]; c = 32
        for t, o, n, st in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for k in range(n): L.append(A.InvRes(c, o, st if k == 0 else 1, t)); c = o
        L.append(nn.Sequential(nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(inplace=True)))
        s.features = nn.Sequential(*L); s.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))
    def forward(s, x):
        return s.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(s.features(x), 1), 1))


MODELS = {'resnet18': ResNet18, 'mobilenet_v2': MobileNetV2, 'effnetish': A.EffNetish, 'convnextish': A.ConvNeXtish}

if __name__ == '__main__':
    out, rounds = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    times = {}
    for name, ctor in MODELS.items():
        m = ctor().eval()
        x = torch.randn(1, 3, 224, 224)
        torch.onnx.export(m, (x,), os.path.join(out, f'{name}.onnx'), opset_version=17, input_names=['input'], output_names=['output'])
        with torch.no_grad():
            y = m(x)
            np.save(os.path.join(out, f'{name}.x.npy'), x.numpy()); np.save(os.path.join(out, f'{name}.y.npy'), y.numpy())
            times[name] = {}
            for t in (1, 2):
                torch.set_num_threads(t)
                for _ in range(2): m(x)
                ts = []
                for _ in range(rounds):
                    t0 = time.perf_counter(); m(x); ts.append((time.perf_counter() - t0) * 1000)
                times[name][t] = sorted(ts)[len(ts) // 2]
    json.dump({'torch': torch.__version__, 'times': times}, open(os.path.join(out, 'torch.json'), 'w'))
