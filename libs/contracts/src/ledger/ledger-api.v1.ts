import { PageQuery } from '../common/pagination';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

/** Roots of the chart of accounts; the root decides an account's type and its normal side. */
export const ACCOUNT_ROOTS = ['assets', 'liabilities', 'equity', 'revenue', 'expense'] as const;
export type AccountRoot = (typeof ACCOUNT_ROOTS)[number];

/** `root:segment:segment…`, e.g. `assets:cash:USD`, `revenue:stripe`, `expense:llm:gpt-4o-mini`. */
export const ACCOUNT_NAME_PATTERN = /^(assets|liabilities|equity|revenue|expense)(:[A-Za-z0-9_.@+\-/]{1,64}){0,7}$/;
const ACCOUNT_NAME_MESSAGE =
  'account must be root:segment… with root one of assets, liabilities, equity, revenue, expense';

/**
 * `refund`, `dispute` and `payout` come from payment providers (docs/payments.md): a refund or a lost
 * dispute reverses part of a payment and points at it (`originalId`); a payout moves cash to the bank.
 */
export const LEDGER_KINDS = ['revenue', 'cost', 'manual', 'reversal', 'refund', 'dispute', 'payout'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export class LedgerPostingInputV1 {
  @ApiProperty({ example: 'assets:cash:USD' })
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: ACCOUNT_NAME_MESSAGE })
  account!: string;

  @ApiProperty({
    description: 'Signed integer minor units: debits positive, credits negative; never zero.',
    example: 1500,
  })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX_MINOR)
  @Max(MAX_MINOR)
  amountMinor!: number;

  @ApiProperty({ example: 'USD' })
  @IsISO4217CurrencyCode()
  currency!: string;
}

/** A manual adjusting entry (admins): two or more postings that sum to zero per currency. */
export class PostLedgerTransactionDto {
  @ApiProperty({ type: [LedgerPostingInputV1], minItems: 2 })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => LedgerPostingInputV1)
  postings!: LedgerPostingInputV1[];

  @ApiProperty({ example: 'Opening balance' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  description!: string;

  @ApiPropertyOptional({
    description:
      'The same key with the same entry returns the transaction already posted; with other postings or attribution it is refused (409, naming what differs).',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  idempotencyKey?: string;

  @ApiPropertyOptional({ description: 'Economic time of the entry (balances as of a time use it); default now.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) experimentId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) variantKey?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) goalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) taskId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) taskType?: string;
}

export class PostLedgerTransactionV1 extends PostLedgerTransactionDto {
  /** Who posted it; set by governance-api from the API key, never by the caller. */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  createdBy?: string;
}

export class ReverseLedgerTransactionDto {
  @ApiProperty({ example: 'refund of duplicate charge' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  reason!: string;
}

export class ReverseLedgerTransactionV1 extends ReverseLedgerTransactionDto {
  @IsUUID() id!: string;
  @IsOptional() @IsString() @MaxLength(MAX_NAME) createdBy?: string;
}

export class LedgerTransactionIdV1 {
  @IsUUID() id!: string;
}

export class ListLedgerTransactionsV1 extends PageQuery {
  @ApiPropertyOptional({ enum: LEDGER_KINDS })
  @IsOptional()
  @IsIn(LEDGER_KINDS)
  kind?: LedgerKind;

  @ApiPropertyOptional({ description: 'Transactions touching this account or one beneath it.' })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: ACCOUNT_NAME_MESSAGE })
  account?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) experimentId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) goalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) taskId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) eventId?: string;
}

export class LedgerPostingViewV1 {
  @ApiProperty() account!: string;
  @ApiProperty() amountMinor!: number;
  @ApiProperty() currency!: string;
}

export class LedgerTransactionViewV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: LEDGER_KINDS }) kind!: LedgerKind;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() postedAt!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Revenue source, or cost category.' }) source!:
    string | null;
  @ApiProperty({ nullable: true, type: String }) experimentId!: string | null;
  @ApiProperty({ nullable: true, type: String }) variantKey!: string | null;
  @ApiProperty({ nullable: true, type: String }) goalId!: string | null;
  @ApiProperty({ nullable: true, type: String }) taskId!: string | null;
  @ApiProperty({ nullable: true, type: String }) taskType!: string | null;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) reverses!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) reversedBy!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'A refund, fee or dispute entry: the payment it belongs to.',
  })
  originalId?: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      "A payment provider's entry: the provider's id of what moved the money (charge, refund, payout, dispute).",
  })
  externalRef?: string | null;
  @ApiProperty({ type: [LedgerPostingViewV1] }) postings!: LedgerPostingViewV1[];
}

export class LedgerTransactionPageV1 {
  @ApiProperty({ type: [LedgerTransactionViewV1] }) items!: LedgerTransactionViewV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class CreateLedgerAccountV1 {
  @ApiProperty({ example: 'assets:bank:EUR' })
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: ACCOUNT_NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ description: 'When set, the account holds only this currency.' })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;

  @ApiPropertyOptional({ description: 'Refuse any posting that would take the balance past zero on its normal side.' })
  @IsOptional()
  @IsBoolean()
  noOverdraft?: boolean;
}

export class ListLedgerAccountsV1 {
  @ApiPropertyOptional({ description: 'Only this account and those beneath it.' })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: ACCOUNT_NAME_MESSAGE })
  prefix?: string;
}

export class LedgerAmountV1 {
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'Signed minor units: debit balances positive, credit balances negative.' })
  balanceMinor!: number;
}

export class LedgerAccountViewV1 {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['asset', 'liability', 'equity', 'revenue', 'expense'] }) type!: string;
  @ApiProperty({ nullable: true, type: String }) parent!: string | null;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty() noOverdraft!: boolean;
  @ApiProperty({ type: [LedgerAmountV1], description: 'This account only (not its subaccounts).' })
  balances!: LedgerAmountV1[];
  @ApiProperty() createdAt!: string;
}

export class GetLedgerBalanceV1 {
  @ApiProperty({ example: 'revenue' })
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: ACCOUNT_NAME_MESSAGE })
  account!: string;

  @ApiPropertyOptional({
    description: 'Balance from postings that occurred at or before this time; default now (kept balances).',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

export class LedgerBalanceViewV1 {
  @ApiProperty() account!: string;
  @ApiProperty({ nullable: true, type: String }) asOf!: string | null;
  @ApiProperty({ description: 'Balances include every subaccount.' }) includesSubaccounts!: boolean;
  @ApiProperty({ type: [LedgerAmountV1] }) balances!: LedgerAmountV1[];
}

export const PNL_GROUPS = ['period', 'source', 'experiment', 'goal', 'taskType'] as const;
export type PnlGroup = (typeof PNL_GROUPS)[number];
export const PNL_PERIODS = ['day', 'week', 'month', 'quarter', 'year'] as const;

export class GetPnlV1 {
  @ApiProperty({ enum: PNL_GROUPS })
  @IsIn(PNL_GROUPS)
  groupBy!: PnlGroup;

  @ApiPropertyOptional({ enum: PNL_PERIODS, default: 'month', description: 'Bucket size when groupBy=period (UTC).' })
  @IsOptional()
  @IsIn(PNL_PERIODS)
  period?: (typeof PNL_PERIODS)[number];

  @ApiPropertyOptional({ description: 'From this time (inclusive), by occurredAt.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Up to this time (exclusive), by occurredAt.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;
}

export class PnlRowV1 {
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Period start, source/category, experiment, goal or task type; null when unattributed.',
  })
  key!: string | null;
  @ApiProperty() currency!: string;
  @ApiProperty() revenueMinor!: number;
  @ApiProperty() costMinor!: number;
  @ApiProperty() netMinor!: number;
}

export class PnlReportV1 {
  @ApiProperty({ enum: PNL_GROUPS }) groupBy!: PnlGroup;
  @ApiProperty({ nullable: true, type: String }) period!: string | null;
  @ApiProperty({ type: [PnlRowV1] }) rows!: PnlRowV1[];
}

export class LedgerCurrencyTotalsV1 {
  @ApiProperty() currency!: string;
  @ApiProperty() revenueMinor!: number;
  @ApiProperty() costMinor!: number;
  @ApiProperty() netMinor!: number;
}

export class LedgerSummaryV1 {
  @ApiProperty({ example: 'USD' }) baseCurrency!: string;
  @ApiProperty({ example: 10_000_000_000 }) targetMinor!: number;
  @ApiProperty({ description: 'All revenue converted to the base currency at the current rates.' })
  revenueBaseMinor!: number;
  @ApiProperty({ description: 'revenueBaseMinor / targetMinor, 0..1.' }) progressRatio!: number;
  @ApiProperty({ type: [String], description: 'Currencies with revenue but no rate: left out of revenueBaseMinor.' })
  unconvertedCurrencies!: string[];
  @ApiProperty({ type: [LedgerCurrencyTotalsV1] }) byCurrency!: LedgerCurrencyTotalsV1[];
  @ApiProperty() transactions!: number;
}

export class SetExchangeRateDto {
  @ApiProperty({
    description: 'Units of the base currency one unit of this currency buys, as a decimal string.',
    example: '1.0842',
  })
  @IsString()
  @Matches(/^(?!0+(\.0+)?$)\d{1,12}(\.\d{1,12})?$/, {
    message: 'rate must be a positive decimal string such as "1.0842"',
  })
  rate!: string;
}

export class SetExchangeRateV1 extends SetExchangeRateDto {
  @IsISO4217CurrencyCode() currency!: string;
}

export class ExchangeRateViewV1 {
  @ApiProperty() currency!: string;
  @ApiProperty() baseCurrency!: string;
  @ApiProperty() rate!: string;
  @ApiProperty() updatedAt!: string;
}
