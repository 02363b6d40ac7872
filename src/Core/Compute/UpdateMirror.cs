namespace SegaLearn.Compute;

/// <summary>The optimizer updates' optional mirror (see <see cref="IComputeBackend.AdamUpdate"/>), checked the same way by every backend.</summary>
internal static class UpdateMirror
{
    /// <summary>An empty mirror (length 0) takes no copy; any other must be as long as the segment.</summary>
    public static void Check(int length, int mirror)
    {
        if (mirror != 0 && mirror != length)
        {
            throw new ArgumentException($"an update of {length} parameters got a mirror of {mirror}", nameof(mirror));
        }
    }

    /// <summary>Copies the updated <paramref name="weights"/> to <paramref name="mirror"/> unless it is empty.</summary>
    public static void Fill(ReadOnlySpan<float> weights, Span<float> mirror)
    {
        if (!mirror.IsEmpty)
        {
            weights.CopyTo(mirror);
        }
    }
}
