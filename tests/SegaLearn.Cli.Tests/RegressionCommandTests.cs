using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SegaLearn.Cli.Tests;

/// <summary>
/// Regression through the real command on a generated smooth target, y = sin(x1) + x2² + noise (x3 irrelevant):
/// train with --loss mse, evaluate, predict and export, and the same bits on one and two in-process workers.
/// </summary>
public sealed class RegressionCommandTests
{
    private const int Rows = 3000;

    private static string[] Train(string loss, int epochs, params string[] more) =>
        ["train", "--data", "smooth.csv", "--loss", loss, "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--lr", "0.01", "--dropout", "0", "--layers", "3,32,1", .. more];

    [Fact]
    public void Train_with_mse_should_reach_r2_0_9_and_write_the_same_bytes_on_one_and_two_workers()
    {
        using var dir = new TempDirectory();
        dir.Write("smooth.csv", SmoothCsv(out _));

        var one = SegaLearnProcess.Run(dir.Path, Train("mse", 30, "--workers", "1", "--out", "w1.safetensors"));
        Assert.True(one.ExitCode == 0, one.Error);
        var two = SegaLearnProcess.Run(dir.Path, Train("mse", 30, "--workers", "2", "--out", "w2.safetensors"));
        Assert.True(two.ExitCode == 0, two.Error);

        var test = one.Output.Split('\n').Single(l => l.StartsWith("Test mse: ", StringComparison.Ordinal));
        var r2 = double.Parse(test[(test.IndexOf("r2: ", StringComparison.Ordinal) + 4)..], CultureInfo.InvariantCulture);
        Assert.True(r2 >= 0.9, one.Output);
        Assert.Contains("loss mse", one.Output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(dir.File("w1.safetensors")), File.ReadAllBytes(dir.File("w2.safetensors")));
    }

    [Fact]
    public void Evaluate_and_predict_should_report_what_the_predicted_values_give_against_the_labels()
    {
        using var dir = new TempDirectory();
        dir.Write("smooth.csv", SmoothCsv(out var labels));
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, Train("mse", 10, "--out", "m.safetensors")).ExitCode);

        var predict = SegaLearnProcess.Run(dir.Path, "predict", "--model", "m.safetensors", "--data", "smooth.csv", "--out", "p.csv");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var lines = File.ReadAllLines(dir.File("p.csv"));
        Assert.Equal("prediction", lines[0]);
        var predicted = lines.Skip(1).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Rows, predicted.Length);

        var evaluate = SegaLearnProcess.Run(dir.Path, "evaluate", "--model", "m.safetensors", "--data", "smooth.csv", "--all-rows");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        var mse = predicted.Zip(labels, (p, y) => (p - y) * (p - y)).Average();
        var mae = predicted.Zip(labels, (p, y) => Math.Abs(p - y)).Average();
        var mean = labels.Average();
        var r2 = 1 - (mse * Rows / labels.Sum(y => (y - mean) * (y - mean)));
        Assert.Equal(mse, Reported(evaluate.Output, "mse: "), 4);
        Assert.Equal(mae, Reported(evaluate.Output, "mae: "), 4);
        Assert.Equal(r2, Reported(evaluate.Output, "r2: "), 3);
        Assert.DoesNotContain("accuracy", evaluate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_should_write_a_linear_output_that_onnx_runtime_runs_to_the_values_predict_writes()
    {
        using var dir = new TempDirectory();
        dir.Write("smooth.csv", SmoothCsv(out _));
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, Train("huber", 3, "--huber-delta", "0.5", "--out", "m.safetensors")).ExitCode);
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "export", "--model", "m.safetensors", "--out", "m.onnx").ExitCode);
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "predict", "--model", "m.safetensors", "--data", "smooth.csv", "--out", "p.csv").ExitCode);
        var expected = File.ReadAllLines(dir.File("p.csv")).Skip(1).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();

        var features = Data.DataSources.LoadAll(dir.File("smooth.csv"), targets: Data.TargetKind.Values).Features;
        var raw = new float[features.Rows * features.Columns];
        features.CopyRows(0, features.Rows, raw);
        using var session = new InferenceSession(dir.File("m.onnx"));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(raw, [features.Rows, features.Columns]))]);
        var predictions = results.Single(r => r.Name == "predictions").AsTensor<float>();

        Assert.Equal([Rows, 1], predictions.Dimensions.ToArray());
        for (var i = 0; i < Rows; i++)
        {
            Assert.True(Math.Abs(expected[i] - predictions[i, 0]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"row {i}: predict {expected[i]}, ONNX Runtime {predictions[i, 0]}");
        }
    }

    private static double Reported(string output, string prefix)
    {
        var line = output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>The CSV text and its labels as written (5 decimals).</summary>
    private static string SmoothCsv(out double[] labels)
    {
        var random = new DeterministicRandom(17);
        var csv = new StringBuilder("x1,x2,x3,y\n");
        labels = new double[Rows];
        for (var i = 0; i < Rows; i++)
        {
            var x1 = random.NextDouble() * 6 - 3;
            var x2 = random.NextDouble() * 3 - 1.5;
            var x3 = random.NextDouble() * 2 - 1;
            var y = Math.Round(Math.Sin(x1) + x2 * x2 + 0.1 * random.NextGaussian(), 5);
            labels[i] = y;
            csv.Append(CultureInfo.InvariantCulture, $"{x1:F5},{x2:F5},{x3:F5},{y:F5}\n");
        }

        return csv.ToString();
    }
}
