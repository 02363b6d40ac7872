using System.Runtime.Intrinsics;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// Every kernel of <see cref="SimdBackend"/> forced to each vector width the machine has must give the bits of the
/// scalar path (one thread there, two in the width under test), for shapes that take every route: direct, narrow,
/// packed with several KC slices and column blocks, zero runs in A, ragged tails.
/// </summary>
public sealed class SimdWidthBitsTests
{
    private static readonly SimdBackend Scalar = new(threads: 1, VectorWidth.Scalar);

    private static readonly AdamStep Step = new(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.19f, 0.001999f);

    private static readonly int[] Lengths = [1, 3, 15, 16, 17, 31, 33, 64, 65, 127, 1000, 40_000];

    public static TheoryData<VectorWidth> Widths => new() { VectorWidth.V512, VectorWidth.V256, VectorWidth.V128 };

    public static TheoryData<VectorWidth, ActivationKind> WidthsAndKinds
    {
        get
        {
            var data = new TheoryData<VectorWidth, ActivationKind>();
            foreach (var width in new[] { VectorWidth.V512, VectorWidth.V256, VectorWidth.V128 })
            {
                foreach (var kind in Enum.GetValues<ActivationKind>())
                {
                    data.Add(width, kind);
                }
            }

            return data;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Gemm_should_give_the_scalar_bits_when_forced_to_any_width(VectorWidth width)
    {
        Create(width).Dispose();
        using var sparse = new SimdBackend(threads: 2, width) { DensePanels = false };
        using var dense = new SimdBackend(threads: 2, width) { DensePanels = true };
        var backends = new[] { sparse, dense };
        var shapes = new[] { (5, 7, 3), (17, 33, 65), (63, 9, 300), (300, 257, 130), (131, 2100, 40), (2999, 10, 400), (1000, 16, 700), (64, 96, 1100), (33, 70, 600) };
        foreach (var (transposeA, transposeB) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            foreach (var ((m, n, k), zeros) in shapes.SelectMany(shape => new[] { (shape, 0), (shape, 1), (shape, 2) }))
            {
                var a = TestVectors.Uniform(m * k, m * 31 + k);
                if (zeros == 1)
                {
                    WithZeroRuns(a, k);
                }
                else if (zeros == 2)
                {
                    WithFewEmptyDepths(a, m, k, transposeA);
                }

                var b = TestVectors.Uniform(k * n, n * 17 + k);
                foreach (var beta in new[] { 0f, 1f })
                {
                    var start = TestVectors.Uniform(m * n, m + n);
                    var expected = (float[])start.Clone();
                    Scalar.Gemm(transposeA, transposeB, m, n, k, a, b, expected, beta);
                    foreach (var backend in backends)
                    {
                        var actual = (float[])start.Clone();
                        backend.Gemm(transposeA, transposeB, m, n, k, a, b, actual, beta);
                        AssertBits(expected, actual, $"Gemm tA={transposeA} tB={transposeB} {m}x{n}x{k} beta {beta}{(zeros == 1 ? " with zero runs" : zeros == 2 ? " with few empty depths" : string.Empty)} on {width}, dense panels {backend.DensePanels}");
                    }
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(WidthsAndKinds))]
    public void LinearForward_and_backward_should_give_the_scalar_bits_when_forced_to_any_width(VectorWidth width, ActivationKind kind)
    {
        var backend = Create(width);
        var activation = new Activation(kind, 0.05f);
        foreach (var (m, n, k) in new[] { (5, 7, 3), (128, 10, 784), (61, 33, 300), (128, 256, 784), (3, 129, 17), (32, 48, 64), (100, 48, 64) })
        {
            var x = WithZeroRuns(TestVectors.Uniform(m * k, m + 3 * k), k);
            var w = TestVectors.Uniform(k * n, n + k, 0.3f);
            var bias = TestVectors.Uniform(n, n);
            var (expectedZ, expectedOut, actualZ, actualOut) = (new float[m * n], new float[m * n], new float[m * n], new float[m * n]);
            var order = Enumerable.Range(0, m).OrderBy(i => (i * 7919) % m).ToArray();
            Scalar.LinearForward(m, n, k, x, w, bias, expectedZ, expectedOut, activation);
            backend.LinearForward(m, n, k, x, w, bias, actualZ, actualOut, activation, order);
            AssertBits(expectedZ, actualZ, $"z of {kind} {m}x{n}x{k} on {width}");
            AssertBits(expectedOut, actualOut, $"{kind} {m}x{n}x{k} on {width}");

            var gradient = TestVectors.Uniform(m * n, m * n);
            var (expectedGradient, actualGradient) = ((float[])gradient.Clone(), (float[])gradient.Clone());
            Scalar.ActivationBackward(expectedZ, expectedOut, expectedGradient, m, n, activation);
            backend.ActivationBackward(expectedZ, expectedOut, actualGradient, m, n, activation);
            AssertBits(expectedGradient, actualGradient, $"{kind} backward {m}x{n} on {width}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Losses_and_sums_should_give_the_scalar_bits_when_forced_to_any_width(VectorWidth width)
    {
        var backend = Create(width);
        foreach (var cols in new[] { 1, 2, 10, 16, 17, 33, 100 })
        {
            const int rows = 9;
            var logits = TestVectors.Uniform(rows * cols, cols, scale: 30);
            var labels = Enumerable.Range(0, rows).Select(i => i * 7 % cols).ToArray();
            var (expectedP, expectedG, actualP, actualG) = (new float[rows * cols], new float[rows * cols], new float[rows * cols], new float[rows * cols]);
            var expectedLoss = Scalar.SoftmaxCrossEntropy(logits, labels, expectedP, expectedG, rows, cols);
            var actualLoss = backend.SoftmaxCrossEntropy(logits, labels, actualP, actualG, rows, cols);
            AssertBits(expectedP, actualP, $"softmax of {cols} on {width}");
            AssertBits(expectedG, actualG, $"softmax gradient of {cols} on {width}");
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedLoss), BitConverter.DoubleToInt64Bits(actualLoss));
        }

        foreach (var length in Lengths)
        {
            var x = TestVectors.Uniform(length, length, scale: 3);
            Assert.Equal(BitConverter.DoubleToInt64Bits(Scalar.SumOfSquares(x)), BitConverter.DoubleToInt64Bits(backend.SumOfSquares(x)));
            var y = TestVectors.Uniform(length, length + 1);
            var (expected, actual) = ((float[])x.Clone(), (float[])x.Clone());
            Scalar.ScaleAdd(expected, 0.9f, y, -0.3f);
            backend.ScaleAdd(actual, 0.9f, y, -0.3f);
            AssertBits(expected, actual, $"ScaleAdd of {length} on {width}");
            var (expectedNode, actualNode) = (new float[length], new float[length]);
            Scalar.AddBFloat16(x, y, expectedNode);
            backend.AddBFloat16(x, y, actualNode);
            AssertBits(expectedNode, actualNode, $"AddBFloat16 of {length} on {width}");
            Scalar.RoundToBFloat16(x, expectedNode);
            backend.RoundToBFloat16(x, actualNode);
            AssertBits(expectedNode, actualNode, $"RoundToBFloat16 of {length} on {width}");
            var rows = length % 7 + 1;
            var (expectedSums, actualSums) = (new float[length], new float[length]);
            var matrix = TestVectors.Uniform(rows * length, rows);
            Scalar.ColumnSums(matrix, rows, length, expectedSums);
            backend.ColumnSums(matrix, rows, length, actualSums);
            AssertBits(expectedSums, actualSums, $"ColumnSums of {rows}x{length} on {width}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Optimizers_should_give_the_scalar_bits_when_forced_to_any_width(VectorWidth width)
    {
        var backend = Create(width);
        var transform = new GradientTransform(0.25f, 0.01f);
        foreach (var length in Lengths)
        {
            float[][] Start() => [TestVectors.Uniform(length, length), TestVectors.Uniform(length, length + 1), Positive(length, length + 2), Positive(length, length + 3)];
            var (expected, actual) = (Start(), Start());
            var (expectedMirror, actualMirror) = (new float[length], new float[length]);
            Scalar.AdamUpdate(expected[0], expected[1], expected[2], expected[3], Step, transform, expectedMirror);
            backend.AdamUpdate(actual[0], actual[1], actual[2], actual[3], Step, transform, actualMirror);
            Scalar.SgdUpdate(expected[0], expected[1], expected[2], 0.01f, 0.9f, 0.001f, transform);
            backend.SgdUpdate(actual[0], actual[1], actual[2], 0.01f, 0.9f, 0.001f, transform);
            Scalar.AdadeltaUpdate(expected[0], expected[1], expected[2], expected[3], 1f, 0.95f, 1e-6f, 0.001f, transform);
            backend.AdadeltaUpdate(actual[0], actual[1], actual[2], actual[3], 1f, 0.95f, 1e-6f, 0.001f, transform);
            for (var i = 0; i < expected.Length; i++)
            {
                AssertBits(expected[i], actual[i], $"optimizer array {i} of {length} on {width}");
            }

            AssertBits(expectedMirror, actualMirror, $"Adam mirror of {length} on {width}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Training_should_give_the_scalar_bits_when_forced_to_any_width(VectorWidth width)
    {
        var backend = Create(width);
        const int rows = 384, columns = 64;
        var x = WithZeroRuns(TestVectors.Uniform(rows * columns, 4), columns);
        var y = Enumerable.Range(0, rows).Select(i => i * 7 % 10).ToArray();
        var features = new DenseFeatures(x, rows, columns);
        var parameters = new List<float[]>();
        foreach (var used in new[] { Scalar, backend })
        {
            var network = new NeuralNetwork([columns, 48, 33, 10], dropoutRate: 0.1, regLambda: 0.01, seed: 7, backend: used);
            network.Train(features, y, new AdamOptimizer(0.001), epochs: 2, batchSize: 32, microbatchSize: 32, evaluateTrainingSet: false);
            parameters.Add(network.Parameters.ToArray());
        }

        AssertBits(parameters[0], parameters[1], $"parameters after training on {width}");
    }

    private static SimdBackend Create(VectorWidth width)
    {
        var supported = width switch
        {
            VectorWidth.V512 => SimdBackend.SupportsV512,
            VectorWidth.V256 => SimdBackend.SupportsV256,
            _ => Vector128.IsHardwareAccelerated,
        };
        Skip.IfNot(supported, $"this machine (or the runtime's DOTNET_Enable* switches) has no {width} path");
        return new SimdBackend(threads: 2, width);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, scalar {expected[i]:R}");
            }
        }
    }

    /// <summary>Zero runs along both axes (as pixels and ReLU outputs have), so packed panels drop some of their depth indices.</summary>
    private static float[] WithZeroRuns(float[] values, int columns)
    {
        var random = new Random(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var (row, column) = (i / columns, i % columns);
            if (row % 5 == 0 || (column / 6 + row / 6) % 3 == 0 || random.NextDouble() < 0.2)
            {
                values[i] = random.NextDouble() < 0.5 ? 0f : -0f;
            }
        }

        return values;
    }

    /// <summary>
    /// ReLU-like A (each value zero or -0 with probability 1/2) with one depth in 13 zero in every row: a packed panel
    /// keeps most of its depths, so the kernels take it dense again, with zeros where the skipped depths were.
    /// </summary>
    private static void WithFewEmptyDepths(float[] a, int m, int k, bool transposeA)
    {
        var random = new Random(a.Length + 1);
        for (var i = 0; i < a.Length; i++)
        {
            var depth = transposeA ? i / m : i % k;
            if (depth % 13 == 5 || random.NextDouble() < 0.5)
            {
                a[i] = random.NextDouble() < 0.5 ? 0f : -0f;
            }
        }
    }

    private static float[] Positive(int length, int seed) => TestVectors.Uniform(length, seed).Select(MathF.Abs).ToArray();
}
