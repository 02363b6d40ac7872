using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SegaLearn.Data;

namespace SegaLearn.Cli.Tests;

public sealed class ExportCommandTests
{
    [Theory]
    [InlineData("digits", "relu,softmax")]
    [InlineData("breast-cancer", "relu,sigmoid")]
    [InlineData("digits", "leaky_relu:0.2,tanh,softmax")]
    [InlineData("breast-cancer", "sigmoid,linear,sigmoid")]
    public void Export_should_write_a_model_that_onnx_runtime_runs_to_the_probabilities_predict_writes(string data, string activations)
    {
        using var dir = new TempDirectory();
        var inputs = data == "digits" ? 64 : 30;
        var layers = activations.Count(c => c == ',') == 1 ? $"{inputs},32,{(data == "digits" ? 10 : 1)}" : $"{inputs},32,16,{(data == "digits" ? 10 : 1)}";
        var train = SegaLearnProcess.Run(dir.Path, "train", "--data", data, "--epochs", "5", "--layers", layers, "--activations", activations, "--out", "model.safetensors");
        Assert.True(train.ExitCode == 0, train.Error);
        var export = SegaLearnProcess.Run(dir.Path, "export", "--model", "model.safetensors", "--out", "model.onnx");
        Assert.True(export.ExitCode == 0, export.Error);
        var predict = SegaLearnProcess.Run(dir.Path, "predict", "--model", "model.safetensors", "--data", data, "--out", "p.csv");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var expected = File.ReadAllLines(dir.File("p.csv")).Skip(1)
            .Select(line => line.Split(',').Skip(1).Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();

        // The raw features, as the CSV holds them: the ONNX graph standardizes them itself.
        var features = DataSources.LoadAll(data).Features;
        var raw = new float[features.Rows * features.Columns];
        features.CopyRows(0, features.Rows, raw);
        using var session = new InferenceSession(dir.File("model.onnx"));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(raw, [features.Rows, features.Columns]))]);
        var probabilities = results.Single(r => r.Name == "probabilities").AsTensor<float>();

        Assert.Equal(expected.Length, probabilities.Dimensions[0]);
        Assert.Equal(expected[0].Length, probabilities.Dimensions[1]);
        for (var i = 0; i < expected.Length; i++)
        {
            for (var c = 0; c < expected[i].Length; c++)
            {
                Assert.True(Math.Abs(expected[i][c] - probabilities[i, c]) <= 1e-5, $"row {i}, class {c}: predict {expected[i][c]}, ONNX Runtime {probabilities[i, c]}");
            }
        }
    }

    [Fact]
    public void Export_should_fail_with_one_line_and_write_nothing_when_the_model_file_is_missing()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, "export", "--model", "missing.safetensors", "--out", "model.onnx");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("missing.safetensors", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("model.onnx")));
    }
}
