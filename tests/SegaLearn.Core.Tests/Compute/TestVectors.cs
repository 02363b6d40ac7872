namespace SegaLearn.Core.Tests.Compute;

/// <summary>Inputs for the backend tests: the same seed gives the same values in every test class.</summary>
internal static class TestVectors
{
    /// <summary><paramref name="length"/> values uniform in [-<paramref name="scale"/>, <paramref name="scale"/>).</summary>
    public static float[] Uniform(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }
}
