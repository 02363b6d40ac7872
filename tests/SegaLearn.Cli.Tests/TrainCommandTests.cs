using System.Globalization;
using System.Text.Json;

namespace SegaLearn.Cli.Tests;

public sealed class TrainCommandTests
{
    internal static double TestAccuracy(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("Test accuracy: ", StringComparison.Ordinal));
        return double.Parse(line["Test accuracy: ".Length..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Train_should_reach_95_percent_on_digits_when_run_without_options()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, "train");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Epoch 1/100 - Loss: ", result.Output, StringComparison.Ordinal);
        Assert.True(TestAccuracy(result.Output) >= 0.95, result.Output);
    }

    [Fact]
    public void Train_should_reach_95_percent_on_breast_cancer_with_bce()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--loss", "bce", "--layers", "30,16,1");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("loss bce", result.Output, StringComparison.Ordinal);
        Assert.True(TestAccuracy(result.Output) >= 0.95, result.Output);
    }

    [Fact]
    public void Train_should_write_byte_identical_models_for_the_same_seed()
    {
        using var dir = new TempDirectory();
        string[] common = ["train", "--data", "breast-cancer", "--epochs", "5", "--seed", "7"];
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, [.. common, "--out", "a.safetensors"]).ExitCode);
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, [.. common, "--out", "b.safetensors"]).ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.File("a.safetensors")), File.ReadAllBytes(dir.File("b.safetensors")));
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, ["train", "--data", "breast-cancer", "--epochs", "5", "--seed", "8", "--out", "c.safetensors"]).ExitCode);
        Assert.NotEqual(File.ReadAllBytes(dir.File("a.safetensors")), File.ReadAllBytes(dir.File("c.safetensors")));
    }

    /// <summary>
    /// The runtime's switches force each narrower path: DOTNET_EnableAVX512=0 (the name .NET 10 reads; the older
    /// DOTNET_EnableAVX512F, which it ignores, is set too) leaves Vector256, DOTNET_EnableAVX2=0 Vector128 (and no
    /// hardware FMA: products are fused in software), DOTNET_EnableHWIntrinsic=0 the scalar path.
    /// </summary>
    [SkippableFact]
    public void Train_should_write_byte_identical_models_on_every_vector_width_the_runtime_can_be_forced_to()
    {
        Skip.IfNot(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "the DOTNET_Enable* switches below are x86's");
        using var dir = new TempDirectory();
        string[] train = ["train", "--data", "digits", "--layers", "64,48,10", "--epochs", "3", "--seed", "7"];
        var runs = new (string Name, string[] Environment, string? Path)[]
        {
            ("default", [], null),
            ("avx2", ["DOTNET_EnableAVX512F=0", "DOTNET_EnableAVX512=0"], null),
            ("v128", ["DOTNET_EnableAVX2=0"], "Vector128"),
            ("scalar", ["DOTNET_EnableHWIntrinsic=0"], "scalar"),
        };
        byte[]? expected = null;
        foreach (var (name, environment, path) in runs)
        {
            var launcher = environment.Length == 0 ? [] : new[] { "env" }.Concat(environment).ToArray();
            var result = SegaLearnProcess.Run(dir.Path, null, launcher, [.. train, "--out", $"{name}.safetensors"]);
            Assert.True(result.ExitCode == 0, result.Error);
            if (path is not null)
            {
                Assert.Contains($"simd ({path}", result.Output, StringComparison.Ordinal);
            }

            var bytes = File.ReadAllBytes(dir.File($"{name}.safetensors"));
            expected ??= bytes;
            Assert.True(expected.AsSpan().SequenceEqual(bytes), $"the {name} run wrote other model bytes than the default one");
        }
    }

    [Fact]
    public void Evaluate_should_score_the_held_out_split_and_predict_every_row_in_order_when_given_the_training_data()
    {
        using var dir = new TempDirectory();
        var train = SegaLearnProcess.Run(dir.Path, "train", "--epochs", "10", "--out", "digits.safetensors");
        Assert.Equal(0, train.ExitCode);
        var trainedAccuracy = TestAccuracy(train.Output);

        var evaluate = SegaLearnProcess.Run(dir.Path, "evaluate", "--model", "digits.safetensors", "--data", "digits");
        Assert.Equal(0, evaluate.ExitCode);
        Assert.Contains("held-out test split (359 rows)", evaluate.Output, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"accuracy: {trainedAccuracy:F4}"), evaluate.Output, StringComparison.Ordinal);
        Assert.Contains("confusion matrix", evaluate.Output, StringComparison.Ordinal);

        // predict writes every row of the data set in its order: its predictions, read against the labels in file
        // order, give the accuracy evaluate --all-rows reports.
        var predict = SegaLearnProcess.Run(dir.Path, "predict", "--model", "digits.safetensors", "--data", "digits", "--out", "p.csv");
        Assert.Equal(0, predict.ExitCode);
        Assert.Contains("1797 predictions (digits, all 1797 rows)", predict.Error, StringComparison.Ordinal);
        var lines = File.ReadAllLines(dir.File("p.csv"));
        Assert.Equal("prediction,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        Assert.Equal(1798, lines.Length);
        var labels = SegaLearn.Data.DataSources.LoadAll("digits").Labels;
        var correct = 0;
        for (var i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            var probabilities = cells.Skip(1).Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            var predicted = int.Parse(cells[0], CultureInfo.InvariantCulture);
            Assert.Equal(Array.IndexOf(probabilities, probabilities.Max()), predicted);
            Assert.Equal(1.0, probabilities.Sum(), 4);
            correct += predicted == labels[i - 1] ? 1 : 0;
        }

        var all = SegaLearnProcess.Run(dir.Path, "evaluate", "--model", "digits.safetensors", "--data", "digits", "--all-rows");
        Assert.Equal(0, all.ExitCode);
        Assert.Contains("digits, all 1797 rows", all.Output, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"accuracy: {(double)correct / labels.Length:F4}"), all.Output, StringComparison.Ordinal);

        var again = SegaLearnProcess.Run(dir.Path, "predict", "--model", "digits.safetensors", "--data", "digits");
        Assert.Equal(File.ReadAllText(dir.File("p.csv")), again.Output);
    }

    [Fact]
    public void Train_should_early_stop_on_the_validation_loss_when_given_a_validation_fraction()
    {
        // A wide network without regularization overfits digits within a few epochs: the training loss keeps falling
        // while the validation loss turns, so stopping patience epochs after its best can only come from validation.
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(
            dir.Path, "train", "--epochs", "200", "--patience", "3", "--validation-fraction", "0.3", "--layers", "64,256,10", "--lr", "0.01",
            "--reg-lambda", "0", "--dropout", "0", "--weight-decay", "0", "--metrics", "m.jsonl");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("1007 training, 431 validation and 359 test rows", result.Output, StringComparison.Ordinal);
        var epochs = File.ReadAllLines(dir.File("m.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var validation = epochs.Select(e => e.GetProperty("val_loss").GetDouble()).ToArray();
        var training = epochs.Select(e => e.GetProperty("train_loss").GetDouble()).ToArray();
        var best = Array.IndexOf(validation, validation.Min());
        Assert.True(epochs.Length < 200, $"trained all {epochs.Length} epochs");
        Assert.Equal(best + 3, epochs.Length - 1);
        Assert.True(training[^1] < training[best], $"train loss {training[best]} at the best epoch, {training[^1]} at the last");
        Assert.Contains($"Early stopping at epoch {epochs.Length}", result.Output, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"best epoch {best + 1}"), result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_should_write_one_metrics_line_per_epoch_and_print_scheduler_messages()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(
            dir.Path, "train", "--data", "synthetic", "--layers", "10,5,1", "--epochs", "12", "--patience", "0",
            "--scheduler", "step", "--lr-decay", "0.5", "--lr-decay-epoch", "5", "--metrics", "m.jsonl");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  --Decaying learning rate stepped at epoch 5 from 0.001 to 0.0005", result.Output, StringComparison.Ordinal);
        Assert.Contains("  --Decaying learning rate stepped at epoch 10 from 0.0005 to 0.00025", result.Output, StringComparison.Ordinal);
        var lines = File.ReadAllLines(dir.File("m.jsonl"));
        Assert.Equal(12, lines.Length);
        var rates = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("learning_rate").GetDouble()).ToArray();
        Assert.Equal(0.001, rates[0]);
        Assert.Equal(0.0005, rates[6]);
        Assert.Equal(0.00025, rates[11]);
        Assert.Equal(12, JsonDocument.Parse(lines[^1]).RootElement.GetProperty("epoch").GetInt32());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}
