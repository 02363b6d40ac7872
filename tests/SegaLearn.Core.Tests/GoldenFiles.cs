using System.Text.Json;

namespace SegaLearn.Core.Tests;

/// <summary>The original module's golden vectors (copied from shared/golden into Golden/).</summary>
internal static class GoldenFiles
{
    public static JsonElement Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", name);
        using var stream = File.OpenRead(path);
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    public static double[] Vector(JsonElement element) => element.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static double[][] Matrix(JsonElement element) => element.EnumerateArray().Select(Vector).ToArray();
}
