import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateLedgerAccountV1,
  ExchangeRateViewV1,
  GetLedgerBalanceV1,
  GetPnlV1,
  LedgerAccountViewV1,
  LedgerBalanceViewV1,
  LedgerSummaryV1,
  LedgerTransactionPageV1,
  LedgerTransactionViewV1,
  ListLedgerAccountsV1,
  ListLedgerTransactionsV1,
  ListReconciliationsV1,
  PnlReportV1,
  PostLedgerTransactionDto,
  ReconciliationPageV1,
  ReconciliationV1,
  ReverseLedgerTransactionDto,
  SetExchangeRateDto,
  Subjects,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';

/** The revenue ledger, owned by revenue-ledger and reached over NATS. Only admins change it; every change is audited, intent first. */
@ApiTags('ledger')
@Controller('ledger')
@AuditedInHandler()
export class LedgerController {
  constructor(private readonly bus: Bus) {}

  @Get('accounts')
  @Roles(...READERS)
  @ApiOkResponse({
    type: [LedgerAccountViewV1],
    description: "The chart of accounts with each account's own balance per currency.",
  })
  accounts(@Query() q: ListLedgerAccountsV1): Promise<LedgerAccountViewV1[]> {
    return this.bus.request(Subjects.ledgerAccountList, q);
  }

  @Post('accounts')
  @Roles('admin')
  @ApiCreatedResponse({ type: LedgerAccountViewV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  createAccount(@Body() body: CreateLedgerAccountV1, @Trail() trail: AuditTrail): Promise<LedgerAccountViewV1> {
    return trail.forward(() => this.bus.request(Subjects.ledgerAccountCreate, body));
  }

  @Get('balances')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Balance of an account and its subaccounts, now or as of a past time' })
  @ApiOkResponse({ type: LedgerBalanceViewV1 })
  balance(@Query() q: GetLedgerBalanceV1): Promise<LedgerBalanceViewV1> {
    return this.bus.request(Subjects.ledgerBalanceGet, q);
  }

  @Get('transactions')
  @Roles(...READERS)
  @ApiOkResponse({ type: LedgerTransactionPageV1 })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  list(@Query() q: ListLedgerTransactionsV1): Promise<LedgerTransactionPageV1> {
    checkedCursor(q.cursor, 'bigint');
    return this.bus.request(Subjects.ledgerTransactionList, q);
  }

  @Get('transactions/:id')
  @Roles(...READERS)
  @ApiOkResponse({ type: LedgerTransactionViewV1 })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<LedgerTransactionViewV1> {
    return this.bus.request(Subjects.ledgerTransactionGet, { id });
  }

  @Post('transactions')
  @Roles('admin')
  @ApiOperation({ summary: 'Post a manual adjusting entry (postings must sum to zero per currency)' })
  @ApiCreatedResponse({
    type: LedgerTransactionViewV1,
    description:
      'The same idempotencyKey with the same entry returns the entry already posted; with another entry, 409 naming what differs.',
  })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  post(
    @Body() body: PostLedgerTransactionDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<LedgerTransactionViewV1> {
    return trail.forward(() => this.bus.request(Subjects.ledgerTransactionPost, { ...body, createdBy: caller.name }));
  }

  @Post('transactions/:id/reverse')
  @Roles('admin')
  @ApiOperation({ summary: 'Reverse a posted transaction (once); the original stays as it was' })
  @ApiCreatedResponse({ type: LedgerTransactionViewV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  reverse(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ReverseLedgerTransactionDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<LedgerTransactionViewV1> {
    return trail.forward(() =>
      this.bus.request(Subjects.ledgerTransactionReverse, { id, reason: body.reason, createdBy: caller.name }),
    );
  }

  @Get('pnl')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Profit and loss by period, source, experiment, goal or task type' })
  @ApiOkResponse({ type: PnlReportV1 })
  pnl(@Query() q: GetPnlV1): Promise<PnlReportV1> {
    return this.bus.request(Subjects.ledgerPnlGet, q);
  }

  @Get('summary')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Totals per currency and progress to the revenue target' })
  @ApiOkResponse({ type: LedgerSummaryV1 })
  summary(): Promise<LedgerSummaryV1> {
    return this.bus.request(Subjects.ledgerSummaryGet, {});
  }

  @Get('rates')
  @Roles(...READERS)
  @ApiOkResponse({ type: [ExchangeRateViewV1] })
  rates(): Promise<ExchangeRateViewV1[]> {
    return this.bus.request(Subjects.ledgerRateList, {});
  }

  @Put('rates/:currency')
  @HttpCode(200)
  @Roles('admin')
  @ApiOkResponse({ type: ExchangeRateViewV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  setRate(
    @Param('currency') currency: string,
    @Body() body: SetExchangeRateDto,
    @Trail() trail: AuditTrail,
  ): Promise<ExchangeRateViewV1> {
    return trail.forward(() => this.bus.request(Subjects.ledgerRateSet, { currency, rate: body.rate }));
  }

  @Get('reconciliations')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      "Reconciliations of a payment provider's balance with the ledger, newest first (the `ledger.reconcile` task makes them)",
  })
  @ApiOkResponse({ type: ReconciliationPageV1 })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  reconciliations(@Query() q: ListReconciliationsV1): Promise<ReconciliationPageV1> {
    checkedCursor(q.cursor, 'bigint');
    return this.bus.request(Subjects.ledgerReconciliationList, q);
  }

  @Get('reconciliations/:id')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'One reconciliation: what is missing from the ledger, extra in it, or posted for another amount, and the adjusting entry offered for approval',
  })
  @ApiOkResponse({ type: ReconciliationV1 })
  reconciliation(@Param('id', new ParseUUIDPipe()) id: string): Promise<ReconciliationV1> {
    return this.bus.request(Subjects.ledgerReconciliationGet, { id });
  }
}
