using Istar.Features.ResNet18;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Istar.Tests.Features.ResNet;

public class ResNet18NetworkTests
{
    /// <summary>
    /// Max |TorchSharp − ONNX Runtime| over the 512 pooled values, relative to the largest ONNX value. Folding the
    /// batch norms and a different convolution order only change float32 rounding (observed 5.3e-6 of a largest value
    /// of 11.2, i.e. 5e-7 relative).
    /// </summary>
    private const double PooledTolerance = 1e-4;

    [Fact]
    public void The_TorchSharp_network_reproduces_the_ONNX_models_own_pooled_512_vector_for_a_224_px_HE_crop()
    {
        var files = ResNet18TestData.Files();
        byte[] rgb = ResNet18TestData.HeRgb(400, 300, 224, 224);
        const int Plane = 224 * 224;

        // ML.NET's pixel planes (R, G, B; 0-255) through ResNetPreprocess.onnx and ResNet18.onnx, run by ONNX Runtime.
        var planes = new float[3 * Plane];
        for (int i = 0; i < Plane; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planes[(c * Plane) + i] = rgb[(3 * i) + c];
            }
        }

        float[] expected;
        using (var prep = new InferenceSession(files.PreprocessPath))
        using (var net = new InferenceSession(files.OnnxPath))
        {
            var original = new DenseTensor<float>(planes, [1, 3, 224, 224]);
            using var prepared = prep.Run([NamedOnnxValue.CreateFromTensor(prep.InputMetadata.Keys.Single(), original)]);
            var bgr = prepared.Single().AsTensor<float>().ToDenseTensor();
            using var pooled = net.Run([NamedOnnxValue.CreateFromTensor(net.InputMetadata.Keys.Single(), bgr)]);
            expected = [.. pooled.Single().AsEnumerable<float>()];
        }

        // The same input through the TorchSharp network: B, G, R minus the full mean image.
        var preprocessing = ResNet18Preprocessing.Load(files.PreprocessPath);
        var input = new float[3 * Plane];
        int[] rgbOf = preprocessing.ReversesChannels ? [2, 1, 0] : [0, 1, 2];
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < Plane; i++)
            {
                input[(c * Plane) + i] = rgb[(3 * i) + rgbOf[c]] - preprocessing.MeanImage[(c * Plane) + i];
            }
        }

        float[] actual;
        using (var network = new ResNet18Network(ResNet18Weights.Load(files.OnnxPath)))
        using (no_grad())
        using (var x = tensor(input, [1, 3, 224, 224]))
        using (var y = network.forward(x))
        {
            Assert.Equal([1L, 512], y.shape);
            actual = y.data<float>().ToArray();
        }

        Assert.Equal(512, expected.Length);
        double scale = expected.Max(Math.Abs);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(scale > 0.1, $"the pooled ONNX output is nearly zero (max {scale})");
        Assert.True(worst <= PooledTolerance * scale, $"max |diff| {worst:g3} > {PooledTolerance} x {scale:g3}");
    }

    [Fact]
    public void Subtracting_the_per_channel_mean_instead_of_the_mean_image_barely_changes_the_pooled_vector()
    {
        // The dense extractor cannot use the 224x224 mean image (tiles have other sizes); it uses its channel averages.
        // Observed on this crop: 3.3 % relative L2 change of the 512-d vector.
        var files = ResNet18TestData.Files();
        byte[] rgb = ResNet18TestData.HeRgb(400, 300, 224, 224);
        const int Plane = 224 * 224;
        var preprocessing = ResNet18Preprocessing.Load(files.PreprocessPath);
        var image = new float[3 * Plane];
        var channel = new float[3 * Plane];
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < Plane; i++)
            {
                float v = rgb[(3 * i) + (2 - c)];
                image[(c * Plane) + i] = v - preprocessing.MeanImage[(c * Plane) + i];
                channel[(c * Plane) + i] = v - preprocessing.ChannelMean[c];
            }
        }

        using var network = new ResNet18Network(ResNet18Weights.Load(files.OnnxPath));
        using var _ = no_grad();
        using var a = tensor(image, [1, 3, 224, 224]);
        using var b = tensor(channel, [1, 3, 224, 224]);
        using var ya = network.forward(a);
        using var yb = network.forward(b);
        using var diff = (ya - yb).norm();
        using var norm = ya.norm();
        double relative = diff.item<float>() / norm.item<float>();
        Assert.True(relative < 0.05, $"relative L2 change {relative:F4}");
    }

    [Fact]
    public void Layer_sides_are_exactly_the_input_side_over_the_stride_for_multiples_of_32()
    {
        var files = ResNet18TestData.Files();
        using var network = new ResNet18Network(ResNet18Weights.Load(files.OnnxPath));
        using var _ = no_grad();
        using var x = zeros(1, 3, 96, 160);
        var stages = network.Stages(x, 4);
        Assert.Equal([1L, 64, 24, 40], stages[0].shape);
        Assert.Equal([1L, 128, 12, 20], stages[1].shape);
        Assert.Equal([1L, 256, 6, 10], stages[2].shape);
        Assert.Equal([1L, 512, 3, 5], stages[3].shape);
        foreach (var s in stages)
        {
            s.Dispose();
        }
    }
}
