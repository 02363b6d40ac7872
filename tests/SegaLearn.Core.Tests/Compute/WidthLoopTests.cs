using System.Runtime.Intrinsics;
using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// Every operator of <see cref="SimdBackend"/> run through its <see cref="WidthLoop"/> shape on each width the machine
/// has must give, element by element, the bits of its scalar overload, at every length from 0 to 70 (so every mix of
/// Vector512, Vector256 and Vector128 steps and scalar tail), on inputs with zeros, denormals, tiny and huge values.
/// </summary>
public sealed class WidthLoopTests
{
    private const int MaxLength = 70;

    private static readonly AdamStep Step = new(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.19f, 0.001999f);

    private static readonly GradientTransform Transform = new(1f / 32, 0.02f);

    public static TheoryData<VectorWidth> Widths => new() { VectorWidth.V512, VectorWidth.V256, VectorWidth.V128, VectorWidth.Scalar };

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Unary_operators_should_give_the_scalar_bits_when_run_on_any_width(VectorWidth width)
    {
        SkipUnlessSupported(width);
        CheckUnary(width, new SimdBackend.ExpOperator(), nameof(SimdBackend.ExpOperator));
        CheckUnary(width, new SimdBackend.TanhOperator(), nameof(SimdBackend.TanhOperator));
        CheckUnary(width, new SimdBackend.SigmoidOperator(), nameof(SimdBackend.SigmoidOperator));
        CheckUnary(width, new SimdBackend.ShiftedExpOperator(3.5f), nameof(SimdBackend.ShiftedExpOperator));
        CheckUnary(width, new SimdBackend.ReLUOperator(), nameof(SimdBackend.ReLUOperator));
        CheckUnary(width, new SimdBackend.LeakyReLUOperator(0.05f), nameof(SimdBackend.LeakyReLUOperator));
        CheckUnary(width, new SimdBackend.ScaleOperator(0.9f), nameof(SimdBackend.ScaleOperator));
        CheckUnary(width, new SimdBackend.DivideOperator(7.3f), nameof(SimdBackend.DivideOperator));
        CheckUnary(width, new FlushOperator(), nameof(FlushOperator));
        CheckUnary(width, new SimdBackend.FlushedUnary<SimdBackend.SigmoidOperator>(), "flushed sigmoid");
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Binary_operators_should_give_the_scalar_bits_when_run_on_any_width(VectorWidth width)
    {
        SkipUnlessSupported(width);
        CheckBinary(width, new SimdBackend.AddOperator(), nameof(SimdBackend.AddOperator));
        CheckBinary(width, new SimdBackend.MultiplyOperator(), nameof(SimdBackend.MultiplyOperator));
        CheckBinary(width, new SimdBackend.ScaleAddOperator(0.9f, -0.3f), nameof(SimdBackend.ScaleAddOperator));
        CheckBinary(width, new SimdBackend.ReLUGradientOperator(), nameof(SimdBackend.ReLUGradientOperator));
        CheckBinary(width, new SimdBackend.LeakyReLUGradientOperator(0.05f), nameof(SimdBackend.LeakyReLUGradientOperator));
        CheckBinary(width, new SimdBackend.TanhGradientOperator(), nameof(SimdBackend.TanhGradientOperator));
        CheckBinary(width, new SimdBackend.SigmoidGradientOperator(), nameof(SimdBackend.SigmoidGradientOperator));
        CheckBinary(width, new SimdBackend.SoftmaxGradientOperator(0.4f), nameof(SimdBackend.SoftmaxGradientOperator));
        CheckBinary(width, new SimdBackend.FlushedBinary<SimdBackend.AddOperator>(), "flushed add");
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Bias_and_activation_should_give_the_scalar_bits_when_run_on_any_width(VectorWidth width)
    {
        SkipUnlessSupported(width);
        var op = new SimdBackend.FlushedUnary<SimdBackend.LeakyReLUOperator>(new(0.05f));
        for (var length = 0; length <= MaxLength; length++)
        {
            var z = Inputs(length, 1);
            var bias = Inputs(length, 2);
            var (actualZ, actualOut) = ((float[])z.Clone(), new float[length]);
            WidthLoop.AddMap(width, op, actualZ, bias, actualOut);
            for (var i = 0; i < length; i++)
            {
                var sum = z[i] + bias[i];
                AssertBits(sum, actualZ[i], $"z at {i} of {length} on {width}");
                AssertBits(op.Invoke(sum), actualOut[i], $"leaky ReLU at {i} of {length} on {width}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Widths))]
    public void Update_operators_should_give_the_scalar_bits_and_fill_the_mirror_when_run_on_any_width(VectorWidth width)
    {
        SkipUnlessSupported(width);
        CheckUpdate(width, new SimdBackend.AdamOperator(Step, Transform), nameof(SimdBackend.AdamOperator));
        CheckUpdate(width, new SimdBackend.SgdOperator(0.1f, 0.01f, Transform), nameof(SimdBackend.SgdOperator));
        CheckUpdate(width, new SimdBackend.MomentumOperator(0.1f, 0.9f, 0.01f, Transform), nameof(SimdBackend.MomentumOperator));
        CheckUpdate(width, new SimdBackend.AdadeltaOperator(1f, 0.95f, 1e-6f, 0.01f, Transform), nameof(SimdBackend.AdadeltaOperator));
    }

    private static void CheckUnary<TOp>(VectorWidth width, TOp op, string name)
        where TOp : struct, IUnaryOperator
    {
        for (var length = 0; length <= MaxLength; length++)
        {
            var x = Inputs(length, length);
            var actual = new float[length];
            WidthLoop.Map(width, op, x, actual);
            for (var i = 0; i < length; i++)
            {
                AssertBits(op.Invoke(x[i]), actual[i], $"{name}({x[i]:R}) at {i} of {length} on {width}");
            }
        }
    }

    private static void CheckBinary<TOp>(VectorWidth width, TOp op, string name)
        where TOp : struct, IBinaryOperator
    {
        for (var length = 0; length <= MaxLength; length++)
        {
            var x = Inputs(length, length);
            var y = Inputs(length, length + 100);
            var actual = new float[length];
            WidthLoop.Zip(width, op, x, y, actual);
            for (var i = 0; i < length; i++)
            {
                AssertBits(op.Invoke(x[i], y[i]), actual[i], $"{name}({x[i]:R}, {y[i]:R}) at {i} of {length} on {width}");
            }
        }
    }

    private static unsafe void CheckUpdate<TOp>(VectorWidth width, TOp op, string name)
        where TOp : struct, IUpdateOperator
    {
        for (var length = 0; length <= MaxLength; length++)
        {
            var w = Inputs(length, length);
            var g = Inputs(length, length + 100);
            var s1 = Inputs(length, length + 200).Select(MathF.Abs).ToArray();
            var s2 = Inputs(length, length + 300).Select(MathF.Abs).ToArray();
            var (expectedW, expectedS1, expectedS2) = ((float[])w.Clone(), (float[])s1.Clone(), (float[])s2.Clone());
            for (var i = 0; i < length; i++)
            {
                op.Invoke(ref expectedW[i], g[i], ref expectedS1[i], ref expectedS2[i]);
            }

            var mirror = new float[length];
            fixed (float* pw = w, pg = g, ps1 = s1, ps2 = s2, pm = mirror)
            {
                WidthLoop.Update(width, op, new MirrorSink(pw, pm), pw, pg, TOp.States > 0 ? ps1 : null, TOp.States > 1 ? ps2 : null, 0, length);
            }

            for (var i = 0; i < length; i++)
            {
                var what = $"{name} at {i} of {length} on {width}";
                AssertBits(expectedW[i], w[i], $"w of {what}");
                AssertBits(expectedW[i], mirror[i], $"mirror of {what}");
                AssertBits(expectedS1[i], s1[i], $"first state of {what}");
                AssertBits(expectedS2[i], s2[i], $"second state of {what}");
            }
        }
    }

    /// <summary>Uniform values with ±0, denormals, values where tanh(x) rounds to x, and values beyond exp's range mixed in.</summary>
    private static float[] Inputs(int length, int seed)
    {
        var values = TestVectors.Uniform(length, seed, scale: 4);
        float[] specials = [0f, -0f, 1e-39f, -3e-40f, 2e-4f, -1e-5f, 95f, -95f, 1e-38f, 12f, -12f];
        for (var i = seed % 3; i < length; i += 3)
        {
            values[i] = specials[(i + seed) % specials.Length];
        }

        return values;
    }

    private static void SkipUnlessSupported(VectorWidth width)
    {
        var supported = width switch
        {
            VectorWidth.V512 => SimdBackend.SupportsV512,
            VectorWidth.V256 => SimdBackend.SupportsV256,
            VectorWidth.V128 => Vector128.IsHardwareAccelerated,
            _ => true,
        };
        Skip.IfNot(supported, $"this machine (or the runtime's DOTNET_Enable* switches) has no {width} path");
    }

    private static void AssertBits(float expected, float actual, string what)
    {
        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
        {
            Assert.Fail($"{what}: {actual:R}, scalar {expected:R}");
        }
    }
}
