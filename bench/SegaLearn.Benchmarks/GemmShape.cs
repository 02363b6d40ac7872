namespace SegaLearn.Benchmarks;

/// <summary>One product of a training step: Y = X·W (NN), dW = Xᵀ·dY (TN) or dX = dY·Wᵀ (NT).</summary>
public sealed record GemmShape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K)
{
    public override string ToString() => $"{Name} {(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')} {M}x{N}x{K}";
}
