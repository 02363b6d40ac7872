using MathNet.Numerics.LinearAlgebra;

namespace SegaLearn.Compute;

/// <summary>
/// The readable oracle, in the role of the seed's NumPy backend: matrix products through MathNet.Numerics,
/// everything else as plain scalar loops that follow the formulas line by line (sums in double). Every
/// accelerated kernel is tested against this class.
/// </summary>
public sealed partial class ReferenceBackend : IComputeBackend
{
    public string Name => "reference";

    public string Describe() => "reference (MathNet.Numerics matrices, scalar loops, 1 thread)";

    /// <summary>The name and the platform, whose math library computes exp and tanh.</summary>
    public string NumericIdentity => $"reference {Platform}";

    internal static string Platform =>
        $"{(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "other")}-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";

    public void Rest()
    {
    }

    /// <summary>Nothing to release: the reference computes on the calling thread.</summary>
    public void Dispose()
    {
    }

    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, float beta)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (beta == 0)
            {
                c[..(m * n)].Clear();
            }

            return;
        }

        var left = transposeA
            ? Matrix<float>.Build.DenseOfRowMajor(k, m, a[..(k * m)].ToArray()).Transpose()
            : Matrix<float>.Build.DenseOfRowMajor(m, k, a[..(m * k)].ToArray());
        var right = transposeB
            ? Matrix<float>.Build.DenseOfRowMajor(n, k, b[..(n * k)].ToArray()).Transpose()
            : Matrix<float>.Build.DenseOfRowMajor(k, n, b[..(k * n)].ToArray());
        var product = left * right;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                c[i * n + j] = beta == 0 ? product[i, j] : c[i * n + j] + product[i, j];
            }
        }
    }

    public void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        for (var j = 0; j < cols; j++)
        {
            double sum = 0;
            for (var i = 0; i < rows; i++)
            {
                sum += x[i * cols + j];
            }

            sums[j] = Denormals.Flush((float)sum);
        }
    }

    public void Multiply(Span<float> x, ReadOnlySpan<float> y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= y[i];
        }
    }

    public void Scale(Span<float> x, float scale)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= scale;
        }
    }

    public void Add(Span<float> x, ReadOnlySpan<float> y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = Denormals.Flush(x[i] + y[i]);
        }
    }

    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum)
    {
        for (var i = 0; i < x.Length; i++)
        {
            sum[i] = Denormals.Flush(x[i] + y[i]);
        }
    }

    public void AddBFloat16(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum)
    {
        for (var i = 0; i < x.Length; i++)
        {
            sum[i] = BFloat16.Round(Denormals.Flush(BFloat16.Round(x[i]) + BFloat16.Round(y[i])));
        }
    }

    public void RoundToBFloat16(ReadOnlySpan<float> x, Span<float> destination)
    {
        for (var i = 0; i < x.Length; i++)
        {
            destination[i] = BFloat16.Round(x[i]);
        }
    }

    public void ScaleAdd(Span<float> x, float scale, ReadOnlySpan<float> y, float alpha)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = x[i] * scale + alpha * y[i];
        }
    }

    public double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (var value in x)
        {
            sum += (double)value * value;
        }

        return sum;
    }
}
