namespace SegaLearn.Compute;

public sealed partial class ReferenceBackend
{
    public void LinearForward(
        int rows, int cols, int depth, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, Span<float> output, Activation activation, ReadOnlySpan<int> rowOrder = default)
    {
        Gemm(false, false, rows, cols, depth, x, w, z, 0f);
        BiasActivation(z, bias, output, rows, cols, activation);
    }

    public void BiasActivation(Span<float> z, ReadOnlySpan<float> bias, Span<float> output, int rows, int cols, Activation activation)
    {
        for (var i = 0; i < rows; i++)
        {
            var zr = z.Slice(i * cols, cols);
            var ar = output.Slice(i * cols, cols);
            for (var j = 0; j < cols; j++)
            {
                zr[j] += bias[j];
            }

            if (activation.Kind == ActivationKind.Softmax)
            {
                Softmax(zr, ar);
                continue;
            }

            for (var j = 0; j < cols; j++)
            {
                ar[j] = Denormals.Flush(Apply(activation, zr[j]));
            }
        }
    }

    public void ActivationBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> output, Span<float> gradient, int rows, int cols, Activation activation)
    {
        for (var i = 0; i < rows; i++)
        {
            var zr = z.Slice(i * cols, cols);
            var ar = output.Slice(i * cols, cols);
            var gr = gradient.Slice(i * cols, cols);
            if (activation.Kind == ActivationKind.Softmax)
            {
                double dot = 0;
                for (var j = 0; j < cols; j++)
                {
                    dot += (double)gr[j] * ar[j];
                }

                for (var j = 0; j < cols; j++)
                {
                    gr[j] = Denormals.Flush((float)(ar[j] * (gr[j] - dot)));
                }

                continue;
            }

            for (var j = 0; j < cols; j++)
            {
                gr[j] = Denormals.Flush(gr[j] * Derivative(activation, zr[j], ar[j]));
            }
        }
    }

    public double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows, int cols)
    {
        double loss = 0;
        for (var i = 0; i < rows; i++)
        {
            var p = probabilities.Slice(i * cols, cols);
            var g = gradient.Slice(i * cols, cols);
            Softmax(logits.Slice(i * cols, cols), p);
            var label = labels[i];
            loss -= Math.Log(p[label] + CrossEntropy.LogEpsilon);
            for (var j = 0; j < cols; j++)
            {
                g[j] = j == label ? p[j] - 1f : p[j];
            }
        }

        return loss;
    }

    public double SigmoidBinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows) =>
        CrossEntropy.SigmoidBinary(logits, labels, probabilities, gradient, rows);

    private static void Softmax(ReadOnlySpan<float> z, Span<float> output)
    {
        var max = float.NegativeInfinity;
        foreach (var value in z)
        {
            max = Math.Max(max, value);
        }

        double sum = 0;
        for (var j = 0; j < z.Length; j++)
        {
            sum += Math.Exp(z[j] - max);
        }

        for (var j = 0; j < z.Length; j++)
        {
            output[j] = Denormals.Flush((float)(Math.Exp(z[j] - max) / sum));
        }
    }

    private static float Apply(Activation activation, float z) => activation.Kind switch
    {
        ActivationKind.ReLU => z > 0 ? z : 0f,
        ActivationKind.LeakyReLU => z > 0 ? z : activation.Alpha * z,
        ActivationKind.Tanh => (float)Math.Tanh(z),
        ActivationKind.Sigmoid => (float)CrossEntropy.StableSigmoid(z),
        _ => z,
    };

    private static float Derivative(Activation activation, float z, float a) => activation.Kind switch
    {
        ActivationKind.ReLU => z > 0 ? 1f : 0f,
        ActivationKind.LeakyReLU => z > 0 ? 1f : activation.Alpha,
        ActivationKind.Tanh => 1f - a * a,
        ActivationKind.Sigmoid => a * (1f - a),
        _ => 1f,
    };
}
