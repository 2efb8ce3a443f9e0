"""bench:onnx's models: ResNet-18, MobileNetV2 and an EfficientNet-style and a ConvNeXt-style net at full width, as
test/fixtures/onnx-archs/gen_archs.py writes them (narrowed there), exported by torch at 1x3x224x224 (opset 17, eval)
into OUT, each with its input and PyTorch's output and PyTorch's forward times (ms, torch.set_num_threads(t), medians)
in OUT/torch.json.  Run: python3 bench/torch_archs.py OUT ROUNDS"""
import json, os, sys, time
import numpy as np
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-archs'))
import gen_archs as A


# torchvision's widths: resnet18 at base 64, mobilenet_v2 as published, 1000 classes
MODELS = {
    'resnet18': lambda: A.ResNet18(64, 1000),
    'mobilenet_v2': lambda: A.MobileNetV2(A.MBV2_FULL, 32, 1280, 1000),
    'effnetish': A.EffNetish,
    'convnextish': A.ConvNeXtish,
}

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
