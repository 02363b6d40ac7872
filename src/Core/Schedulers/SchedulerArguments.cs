namespace SegaLearn.Schedulers;

/// <summary>Constructor checks shared by the schedulers.</summary>
internal static class SchedulerArguments
{
    public static void Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0");
        }
    }

    public static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number >= 0");
        }
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0");
        }
    }

    public static void Epoch(int epoch, string name)
    {
        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(name, epoch, "the epoch index is 0-based and cannot be negative");
        }
    }

    /// <summary>
    /// The optimizer rejects a rate of 0; a long decay can underflow to it, so the rate is kept at the smallest
    /// positive double instead (where updates are already nil in float32).
    /// </summary>
    public static double KeepPositive(double learningRate) => learningRate > 0 ? learningRate : double.Epsilon;
}
